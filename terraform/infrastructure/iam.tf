# Shared IAM: the role API Gateway uses to write access and execution logs to CloudWatch (one per account and
# region). The functions' own least-privilege roles live in the Lambda stack, beside the code they authorize.
data "aws_iam_policy_document" "api_gateway_assume_role" {
  statement {
    sid     = "ApiGatewayAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "api_gateway_cloudwatch" {
  count = var.manage_api_gateway_account ? 1 : 0

  name                 = "bbws-product-api-cloudwatch-${var.environment}"
  description          = "Lets API Gateway write the product API's access and execution logs."
  assume_role_policy   = data.aws_iam_policy_document.api_gateway_assume_role.json
  permissions_boundary = local.permissions_boundary_arn
}

resource "aws_iam_role_policy_attachment" "api_gateway_cloudwatch" {
  count = var.manage_api_gateway_account ? 1 : 0

  role       = aws_iam_role.api_gateway_cloudwatch[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

data "aws_partition" "current" {}

locals {
  iam_prefix = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}"
  # The boundary terraform/bootstrap defines per environment: the deploy role may create no role without it.
  permissions_boundary_arn = "${local.iam_prefix}:policy/bbws-product-api-boundary-${var.environment}"
  # The environment's deploy role, named as terraform/bootstrap names it (it applies this stack); known at plan
  # time whoever runs the plan.
  deploy_role_arn = "${local.iam_prefix}:role/bbws-product-api-deploy-${var.environment}"
}
