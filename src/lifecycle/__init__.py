"""What a function does at the edges of its execution environment's life (SnapStart's snapshot and restore)."""
