# Per environment: a plan role (reads only, for `terraform plan` before anyone approves) and a deploy role
# (applies the reviewed plan). Both trust only this repository's jobs running in one GitHub environment.
# Their permissions are one catalogue: per AWS service the actions a plan needs to read what the stacks manage,
# the actions an apply adds, and the resources, named with the environment's suffix wherever the service
# allows resource-level permissions.
locals {
  arn_prefix = { for service in ["dynamodb", "lambda", "logs", "cloudwatch", "execute-api"] : service => "arn:${local.partition}:${service}:${local.region}:${local.account_id}" }

  permissions = {
    for env in var.environments : env => [
      {
        sid       = "ProductsTable"
        read      = ["dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource"]
        write     = ["dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:UpdateContinuousBackups", "dynamodb:UpdateTimeToLive", "dynamodb:TagResource", "dynamodb:UntagResource"]
        resources = ["${local.arn_prefix.dynamodb}:table/bbws-products-${env}"]
      },
      {
        sid  = "Functions"
        read = ["lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionConcurrency", "lambda:GetPolicy", "lambda:GetRuntimeManagementConfig", "lambda:ListVersionsByFunction", "lambda:ListTags", "lambda:GetLayerVersion"]
        write = ["lambda:CreateFunction", "lambda:DeleteFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency",
        "lambda:AddPermission", "lambda:RemovePermission", "lambda:TagResource", "lambda:UntagResource", "lambda:PublishVersion", "lambda:PublishLayerVersion", "lambda:DeleteLayerVersion"]
        resources = [
          "${local.arn_prefix.lambda}:function:bbws-*-${env}",
          "${local.arn_prefix.lambda}:layer:bbws-product-dependencies-${env}",
          "${local.arn_prefix.lambda}:layer:bbws-product-dependencies-${env}:*",
        ]
      },
      {
        sid  = "Roles"
        read = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"]
        write = ["iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
        "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:PassRole"]
        resources = [
          "arn:${local.partition}:iam::${local.account_id}:role/bbws-*-${env}-role",
          "arn:${local.partition}:iam::${local.account_id}:role/bbws-product-api-cloudwatch-${env}",
        ]
      },
      {
        sid   = "LogGroups"
        read  = ["logs:ListTagsForResource", "logs:ListTagsLogGroup"]
        write = ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:UntagLogGroup"]
        resources = [
          "${local.arn_prefix.logs}:log-group:/aws/lambda/bbws-*-${env}",
          "${local.arn_prefix.logs}:log-group:/aws/lambda/bbws-*-${env}:*",
          "${local.arn_prefix.logs}:log-group:/aws/apigateway/bbws-product-api-${env}/*",
        ]
      },
      {
        # DescribeLogGroups lists by prefix: IAM only accepts it on every log group of the account and region.
        sid       = "FindLogGroups"
        read      = ["logs:DescribeLogGroups"]
        write     = []
        resources = ["${local.arn_prefix.logs}:log-group:*"]
      },
      {
        sid       = "AlarmsAndDashboards"
        read      = ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:GetDashboard"]
        write     = ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"]
        resources = ["${local.arn_prefix.cloudwatch}:alarm:bbws-*-${env}-*", "arn:${local.partition}:cloudwatch::${local.account_id}:dashboard/bbws-*-${env}*"]
      },
      {
        # The alarm topic every alarm notifies (infrastructure/alarm_topic.tf) and its subscriptions, whose ARNs
        # are the topic's followed by an id.
        sid   = "AlarmTopic"
        read  = ["sns:GetTopicAttributes", "sns:ListTagsForResource", "sns:ListSubscriptionsByTopic", "sns:GetSubscriptionAttributes"]
        write = ["sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:TagResource", "sns:UntagResource", "sns:Subscribe", "sns:Unsubscribe", "sns:SetSubscriptionAttributes"]
        resources = [
          "arn:${local.partition}:sns:${local.region}:${local.account_id}:bbws-product-api-alarms-${env}",
          "arn:${local.partition}:sns:${local.region}:${local.account_id}:bbws-product-api-alarms-${env}:*",
        ]
      },
      {
        # The topic's KMS key: key ARNs carry generated ids, so the key is found by its Environment tag (the
        # provider's default_tags put it on at creation).
        sid       = "AlarmTopicKey"
        read      = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
        write     = ["kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateKeyDescription"]
        resources = ["arn:${local.partition}:kms:${local.region}:${local.account_id}:key/*"]
        condition = { StringEquals = { "aws:ResourceTag/Environment" = env, "aws:ResourceTag/Project" = "BBWS" } }
      },
      {
        # CreateKey takes no resource; a new key must carry the environment's tags.
        sid       = "NewAlarmTopicKey"
        read      = []
        write     = ["kms:CreateKey"]
        resources = ["*"]
        condition = { StringEquals = { "aws:RequestTag/Environment" = env, "aws:RequestTag/Project" = "BBWS" } }
      },
      {
        # The canary (canary.tf), the function and layer Synthetics makes for it (cwsyn-<canary>-<id>) and the
        # bucket of its run reports.
        sid       = "Canary"
        read      = ["synthetics:GetCanary", "synthetics:GetCanaryRuns", "synthetics:ListTagsForResource"]
        write     = ["synthetics:CreateCanary", "synthetics:UpdateCanary", "synthetics:DeleteCanary", "synthetics:StartCanary", "synthetics:StopCanary", "synthetics:TagResource", "synthetics:UntagResource"]
        resources = ["arn:${local.partition}:synthetics:${local.region}:${local.account_id}:canary:bbws-api-canary-${env}"]
      },
      {
        sid   = "CanaryFunction"
        read  = ["lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:GetLayerVersion", "lambda:ListTags"]
        write = ["lambda:CreateFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:DeleteFunction", "lambda:AddPermission", "lambda:PublishVersion", "lambda:PublishLayerVersion", "lambda:DeleteLayerVersion", "lambda:TagResource"]
        resources = [
          "${local.arn_prefix.lambda}:function:cwsyn-bbws-api-canary-${env}-*",
          "${local.arn_prefix.lambda}:layer:cwsyn-bbws-api-canary-${env}-*",
          "${local.arn_prefix.lambda}:layer:cwsyn-bbws-api-canary-${env}-*:*",
        ]
      },
      {
        sid   = "CanaryReports"
        read  = ["s3:ListBucket", "s3:GetBucketPolicy", "s3:GetBucketAcl", "s3:GetBucketCors", "s3:GetBucketWebsite", "s3:GetBucketVersioning", "s3:GetAccelerateConfiguration", "s3:GetBucketRequestPayment", "s3:GetBucketLogging", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:GetEncryptionConfiguration", "s3:GetBucketObjectLockConfiguration", "s3:GetBucketTagging", "s3:GetBucketPublicAccessBlock", "s3:GetBucketOwnershipControls", "s3:ListBucketVersions"]
        write = ["s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketTagging", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration", "s3:PutBucketPublicAccessBlock", "s3:DeleteObject", "s3:DeleteObjectVersion"]
        resources = [
          "arn:${local.partition}:s3:::bbws-product-api-canary-${env}-${local.account_id}",
          "arn:${local.partition}:s3:::bbws-product-api-canary-${env}-${local.account_id}/*",
        ]
      },
      {
        # The Lambda stack's saved Logs Insights queries (observability.tf). IAM knows no resource type for
        # query definitions: these three actions are granted on "*" or not at all.
        sid       = "SavedQueries"
        read      = ["logs:DescribeQueryDefinitions"]
        write     = ["logs:PutQueryDefinition", "logs:DeleteQueryDefinition"]
        resources = ["*"]
      },
      {
        # REST API ARNs carry API Gateway's generated ids, not names: the APIs and the account's CloudWatch
        # role setting are as narrow as API Gateway's resource-level permissions go.
        sid   = "RestApis"
        read  = ["apigateway:GET"]
        write = ["apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"]
        resources = [
          "arn:${local.partition}:apigateway:${local.region}::/restapis",
          "arn:${local.partition}:apigateway:${local.region}::/restapis/*",
          "arn:${local.partition}:apigateway:${local.region}::/account",
          "arn:${local.partition}:apigateway:${local.region}::/tags/*",
        ]
      },
      {
        sid       = "StateBucket"
        read      = ["s3:ListBucket"]
        write     = []
        resources = [aws_s3_bucket.state[env].arn]
      },
      {
        sid       = "StateObjects"
        read      = ["s3:GetObject"]
        write     = ["s3:PutObject", "s3:DeleteObject"]
        resources = ["${aws_s3_bucket.state[env].arn}/${var.state_key_prefix}/*"]
      },
      {
        # A plan takes the state lock (a .tflock object beside the state) like an apply does.
        sid       = "StateLocks"
        read      = ["s3:PutObject", "s3:DeleteObject"]
        write     = []
        resources = ["${aws_s3_bucket.state[env].arn}/${var.state_key_prefix}/*.tflock"]
      },
      {
        # scripts/ops/validate_deployment.py signs its writes with the deploy role after the apply.
        sid       = "PostDeploymentValidation"
        read      = []
        write     = ["execute-api:Invoke"]
        resources = ["${local.arn_prefix["execute-api"]}:*/${env}/*"]
      },
    ]
  }

  role_policies = {
    for key, role in local.role_subjects : key => jsonencode({
      Version = "2012-10-17"
      Statement = [
        for family in local.permissions[role.environment] : merge({
          Sid      = family.sid
          Effect   = "Allow"
          Action   = role.kind == "plan" ? family.read : concat(family.read, family.write)
          Resource = family.resources
        }, try({ Condition = family.condition }, {})) if length(role.kind == "plan" ? family.read : concat(family.read, family.write)) > 0
      ]
    })
  }
}

resource "aws_iam_role" "github" {
  for_each = local.role_subjects

  name                 = each.value.name
  description          = "${each.value.kind == "plan" ? "Read-only plans" : "Applies reviewed plans"} of the BBWS product API in ${each.value.environment}, for ${var.github_repository} jobs in the GitHub environment of its trust policy."
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "GitHubEnvironmentOnly"
      Effect    = "Allow"
      Principal = { Federated = local.github_oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.github_oidc_host}:aud" = "sts.amazonaws.com"
          "${local.github_oidc_host}:sub" = each.value.subject
        }
      }
    }]
  })

  tags = { Environment = each.value.environment }
}

resource "aws_iam_role_policy" "github" {
  for_each = local.role_subjects

  name   = "${each.value.name}-access"
  role   = aws_iam_role.github[each.key].id
  policy = local.role_policies[each.key]
}
