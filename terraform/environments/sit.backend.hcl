bucket       = "bbws-terraform-state-sit"
key          = "product-api/lambda.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
