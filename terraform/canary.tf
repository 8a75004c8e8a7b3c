# The synthetic probe: CloudWatch Synthetics reads the product list and one product from outside every five
# minutes (scripts/ops/product_canary.py, zipped by scripts/ops/package_lambdas.sh), so a broken stage, route or
# DNS raises an alarm even when no client calls. Its run reports go to a bucket of its own.
locals {
  # Synthetics allows 21 characters: "bbws-api-canary-prod" is 20.
  canary_name = "bbws-api-canary-${var.environment}"
  # What a client calls: the products collection of this stage (also the products_url output).
  products_url = "${aws_api_gateway_stage.product_api.invoke_url}${local.infrastructure.api_gateway_resources.products.path}"
}

resource "aws_s3_bucket" "canary_artifacts" {
  # checkov:skip=CKV_AWS_18:Holds only the canary's own run reports; access logs of them would add a bucket for nothing.
  # checkov:skip=CKV_AWS_21:Run reports are written once and expire; versions would keep what the lifecycle deletes.
  # checkov:skip=CKV_AWS_144:Run reports are disposable; a second region's copy protects nothing.
  # checkov:skip=CKV_AWS_145:Run reports hold status codes and timings, no data; SSE-S3 encrypts them at rest.
  # checkov:skip=CKV2_AWS_62:Nothing reacts to a new run report; the canary's metrics carry its outcome.
  bucket        = "bbws-product-api-canary-${var.environment}-${data.aws_caller_identity.current.account_id}"
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "canary_artifacts" {
  bucket                  = aws_s3_bucket.canary_artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "canary_artifacts" {
  bucket = aws_s3_bucket.canary_artifacts.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "canary_artifacts" {
  bucket = aws_s3_bucket.canary_artifacts.id

  rule {
    id     = "expire-run-reports"
    status = "Enabled"

    filter {}

    expiration {
      days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

# The canary runs as a Lambda function that Synthetics creates: it writes its run reports, its log and its
# metrics (namespace CloudWatchSynthetics), nothing else.
data "aws_iam_policy_document" "canary" {
  statement {
    sid       = "RunReports"
    actions   = ["s3:PutObject", "s3:GetObject"]
    resources = ["${aws_s3_bucket.canary_artifacts.arn}/*"]
  }

  statement {
    sid       = "RunReportsBucket"
    actions   = ["s3:GetBucketLocation"]
    resources = [aws_s3_bucket.canary_artifacts.arn]
  }

  # Synthetics lists buckets before it writes a run report; S3 accepts this action only on "*".
  statement {
    sid       = "FindBuckets"
    actions   = ["s3:ListAllMyBuckets"]
    resources = ["*"]
  }

  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${data.aws_partition.current.partition}:logs:${var.aws_region}:${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda/cwsyn-${local.canary_name}-*"]
  }

  # AWS's documented canary role writes traces (a canary with active tracing); X-Ray's writes have no resource type.
  statement {
    sid       = "Traces"
    actions   = ["xray:PutTraceSegments"]
    resources = ["*"]
  }

  # PutMetricData has no resource type; the namespace condition keeps the canary to its own metrics.
  statement {
    sid       = "CanaryMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["CloudWatchSynthetics"]
    }
  }
}

resource "aws_iam_role" "canary" {
  name                 = "${local.canary_name}-role"
  description          = "Execution role of the ${local.canary_name} Synthetics canary."
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume_role.json
  permissions_boundary = local.infrastructure.permissions_boundary_arn
}

resource "aws_iam_role_policy" "canary" {
  name   = "${local.canary_name}-access"
  role   = aws_iam_role.canary.id
  policy = data.aws_iam_policy_document.canary.json
}

resource "aws_synthetics_canary" "products" {
  name                     = local.canary_name
  artifact_s3_location     = "s3://${aws_s3_bucket.canary_artifacts.bucket}/"
  execution_role_arn       = aws_iam_role.canary.arn
  runtime_version          = var.canary_runtime_version
  handler                  = "product_canary.handler"
  zip_file                 = "${local.package_dir}/canary.zip"
  start_canary             = true
  delete_lambda            = true
  success_retention_period = 7
  failure_retention_period = 30

  schedule {
    expression = "rate(5 minutes)"
  }

  run_config {
    timeout_in_seconds    = 60
    environment_variables = { PRODUCTS_URL = local.products_url }
  }

  # The provider uploads zip_file when the canary is created, not when the file's content changes: a new
  # package replaces the canary.
  lifecycle {
    replace_triggered_by = [terraform_data.canary_package]
  }

  depends_on = [aws_iam_role_policy.canary]
}

resource "terraform_data" "canary_package" {
  input = filebase64sha256("${local.package_dir}/canary.zip")
}

# Two failed runs in a row (ten minutes) page; a canary that stopped running counts as failing.
resource "aws_cloudwatch_metric_alarm" "canary" {
  alarm_name          = "${local.infrastructure.api_gateway_name}-canary"
  alarm_description   = "The ${local.canary_name} canary could not read the product list or a product from outside (or did not run) twice in a row."
  namespace           = "CloudWatchSynthetics"
  metric_name         = "SuccessPercent"
  dimensions          = { CanaryName = aws_synthetics_canary.products.name }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  comparison_operator = "LessThanThreshold"
  threshold           = 100
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}
