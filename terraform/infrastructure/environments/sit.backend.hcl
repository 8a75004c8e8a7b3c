bucket       = "bbws-terraform-state-sit"
key          = "product-api/infrastructure.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
