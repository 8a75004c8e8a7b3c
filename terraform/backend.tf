# Partial configuration: bucket, key and region come from environments/<env>.backend.hcl at init time
# (terraform init -backend-config=environments/dev.backend.hcl).
terraform {
  backend "s3" {}
}
