data "aws_iam_policy_document" "lambda_assume_role" {
  statement {
    sid     = "LambdaAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# One policy per function: only the DynamoDB actions its code makes, only on this table (and, for the list,
# the indexes it queries), plus writing its own log group and its traces.
data "aws_iam_policy_document" "function" {
  for_each = local.functions

  statement {
    sid       = "ProductsTable"
    actions   = each.value.table_actions
    resources = [local.infrastructure.dynamodb_table_arn]
  }

  dynamic "statement" {
    for_each = length(each.value.index_actions) > 0 ? [each.value.index_actions] : []
    content {
      sid       = "ProductsTableIndexes"
      actions   = statement.value
      resources = [for index in local.infrastructure.dynamodb_index_names : "${local.infrastructure.dynamodb_table_arn}/index/${index}"]
    }
  }

  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }

  dynamic "statement" {
    for_each = length(each.value.secrets) > 0 ? [each.value.secrets] : []
    content {
      sid       = "OwnSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [for secret in statement.value : local.infrastructure.secret_arns[secret]]
    }
  }

  # X-Ray has no resource-level permissions: its write actions only accept "*".
  statement {
    sid       = "XRayTraces"
    actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "function" {
  for_each = local.functions

  name                 = "${local.function_names[each.key]}-role"
  description          = "Execution role of ${local.function_names[each.key]}."
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume_role.json
  permissions_boundary = local.infrastructure.permissions_boundary_arn
}

resource "aws_iam_role_policy" "function" {
  for_each = local.functions

  name   = "${local.function_names[each.key]}-access"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.function[each.key].json
}
