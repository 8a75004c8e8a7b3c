bucket       = "bbws-terraform-state-dev"
key          = "product-api/infrastructure.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
