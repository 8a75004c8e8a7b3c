# IAM Access Analyzer, external access, with this account as the zone of trust: it reports every resource of
# the account that a principal outside it can use, among them a role whose trust policy lets another account
# (or an anonymous principal) assume it. The deploy role creates bounded roles, and no condition key limits
# what a new role's trust policy says; this is where such a role shows (docs/DEPLOYMENT.md, "Access Analyzer").
# AWS allows one such analyzer per account and region: reuse an existing one with create_access_analyzer = false.
resource "aws_accessanalyzer_analyzer" "external_access" {
  count = var.create_access_analyzer ? 1 : 0

  analyzer_name = "bbws-product-api-external-access"
  type          = "ACCOUNT"
}
