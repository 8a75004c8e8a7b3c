"""The SnapStart cost table of docs/PERFORMANCE.md: published prices times the stated assumptions."""

from __future__ import annotations

from scripts.perf import cold_start, restore


def test_each_environments_cost_is_its_cached_versions_and_restores_at_the_published_prices() -> None:
    cold = [cold_start.ColdStart(cold_start.FLOOR, 0, 0, 200, 190, 190)]
    cold += [cold_start.ColdStart("get_product", 0, 0, 210, 200, 200)]
    rows = [
        line
        for line in restore.cost_section(cold, [restore.Restore("get_product", 100, 10, 8, 6)])
        if line.startswith("| s") or line.startswith("| p")
    ]
    # One 256 MB version cached for a month: 0.25 GB x 730 h x 3600 s x $0.0000015046 = $0.99.
    sit_versions, sit_restores = restore.COST_ASSUMPTIONS["sit"]
    cache = 5 * sit_versions * 0.25 * 730 * 3600 * 0.0000015046
    restores = sit_restores * 0.25 * 0.0001397998
    assert rows[0].split(" | ")[:6] == [
        "| sit",
        str(sit_versions),
        f"{cache:.2f}",
        f"{sit_restores:,}",
        f"{restores:.2f}",
        f"{cache + restores:.2f}",
    ]
    assert [row.split(" | ")[0] for row in rows] == ["| sit", "| prod"]
