# Per environment: a plan role (reads only, for `terraform plan` before anyone approves) and a deploy role
# (applies the reviewed plan). Both trust only this repository's jobs running in one GitHub environment.
# Their permissions are one catalogue: per AWS service the actions a plan needs to read what the stacks manage,
# the actions an apply adds, and the resources, named with the environment's suffix wherever the service
# allows resource-level permissions.
locals {
  arn_prefix = { for service in ["dynamodb", "lambda", "logs", "cloudwatch", "execute-api", "codedeploy", "secretsmanager"] : service => "arn:${local.partition}:${service}:${local.region}:${local.account_id}" }

  iam_prefix = "arn:${local.partition}:iam::${local.account_id}"
  # From the names, not the buckets' attributes: the policies are known at plan time (the policy analysis in
  # tests/security reads them from a plan).
  state_bucket_arns = { for env, bucket in local.state_buckets : env => "arn:${local.partition}:s3:::${bucket}" }

  # The roles the stacks create: the functions' and CodeDeploy's (Lambda stack), API Gateway's logging role
  # (infrastructure stack). The deploy role manages only these, and only with the boundary on them.
  workload_roles = {
    for env in var.environments : env => [
      "${local.iam_prefix}:role/bbws-*-${env}-role",
      "${local.iam_prefix}:role/bbws-product-api-cloudwatch-${env}",
    ]
  }
  boundary_names = { for env in var.environments : env => "bbws-product-api-boundary-${env}" }
  # What a bounded role may do with the log groups its boundary names.
  boundary_log_actions = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:GetLogEvents", "logs:FilterLogEvents"]
  boundary_arns        = { for env, name in local.boundary_names : env => "${local.iam_prefix}:policy/${name}" }

  # Policies a workload role may have attached: this project's own, and API Gateway's logging policy
  # (AWS managed, logs only) for the infrastructure stack's CloudWatch role.
  attachable_policies = {
    for env in var.environments : env => [
      "${local.iam_prefix}:policy/bbws-*-${env}",
      "arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
    ]
  }

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
        read = ["lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionConcurrency", "lambda:GetPolicy", "lambda:GetRuntimeManagementConfig", "lambda:ListVersionsByFunction", "lambda:ListTags", "lambda:GetLayerVersion", "lambda:GetAlias", "lambda:ListAliases"]
        write = ["lambda:CreateFunction", "lambda:DeleteFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency",
          "lambda:AddPermission", "lambda:RemovePermission", "lambda:TagResource", "lambda:UntagResource", "lambda:PublishVersion", "lambda:PublishLayerVersion",
        "lambda:CreateAlias", "lambda:UpdateAlias", "lambda:DeleteAlias"]
        # Layer versions are never deleted (every published function version must still run).
        resources = [
          "${local.arn_prefix.lambda}:function:bbws-*-${env}",
          "${local.arn_prefix.lambda}:function:bbws-*-${env}:*",
          "${local.arn_prefix.lambda}:layer:bbws-product-dependencies-${env}",
          "${local.arn_prefix.lambda}:layer:bbws-product-dependencies-${env}:*",
        ]
      },
      {
        # No iam:UpdateAssumeRolePolicy: no condition key limits what a trust policy says, so a rewritten one could
        # hand a bounded role to another account. A trust policy change is an administrator's (deploy_denials).
        sid       = "Roles"
        read      = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"]
        write     = ["iam:DeleteRole", "iam:UpdateRole", "iam:TagRole", "iam:UntagRole"]
        resources = local.workload_roles[env]
      },
      {
        # Every role the deploy role creates or changes the policies of carries the bootstrap's boundary.
        sid       = "RolesWithinTheBoundary"
        read      = []
        write     = ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary"]
        resources = local.workload_roles[env]
        condition = { StringEquals = { "iam:PermissionsBoundary" = local.boundary_arns[env] } }
      },
      {
        sid       = "AttachOnlyProjectPolicies"
        read      = []
        write     = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
        resources = local.workload_roles[env]
        condition = {
          StringEquals = { "iam:PermissionsBoundary" = local.boundary_arns[env] }
          ArnLike      = { "iam:PolicyARN" = local.attachable_policies[env] }
        }
      },
      {
        sid       = "PassRolesToLambdaAndCodeDeploy"
        read      = []
        write     = ["iam:PassRole"]
        resources = ["${local.iam_prefix}:role/bbws-*-${env}-role"]
        condition = { StringEquals = { "iam:PassedToService" = ["lambda.amazonaws.com", "codedeploy.amazonaws.com"] } }
      },
      {
        # The infrastructure stack sets API Gateway's account-wide logging role (aws_api_gateway_account).
        sid       = "PassTheLoggingRoleToApiGateway"
        read      = []
        write     = ["iam:PassRole"]
        resources = ["${local.iam_prefix}:role/bbws-product-api-cloudwatch-${env}"]
        condition = { StringEquals = { "iam:PassedToService" = "apigateway.amazonaws.com" } }
      },
      {
        # The Lambda stack's canary: CloudWatch Synthetics is handed its (bounded) role, and CreateCanary, acting
        # with the caller's rights, creates the canary's function with it (PassRole to Lambda too, as AWS's
        # CloudWatchSyntheticsFullAccess grants).
        sid       = "PassTheCanaryRoleToSynthetics"
        read      = []
        write     = ["iam:PassRole"]
        resources = ["${local.iam_prefix}:role/bbws-api-canary-${env}-role"]
        condition = { StringEquals = { "iam:PassedToService" = ["lambda.amazonaws.com", "synthetics.amazonaws.com"] } }
      },
      {
        sid       = "Boundary"
        read      = ["iam:GetPolicy", "iam:GetPolicyVersion"]
        write     = []
        resources = [local.boundary_arns[env]]
      },
      {
        sid       = "Releases"
        read      = ["codedeploy:GetApplication", "codedeploy:GetDeploymentGroup", "codedeploy:ListTagsForResource", "codedeploy:ListDeployments", "codedeploy:GetDeployment", "codedeploy:GetApplicationRevision"]
        write     = ["codedeploy:CreateApplication", "codedeploy:DeleteApplication", "codedeploy:CreateDeploymentGroup", "codedeploy:UpdateDeploymentGroup", "codedeploy:DeleteDeploymentGroup", "codedeploy:TagResource", "codedeploy:UntagResource", "codedeploy:CreateDeployment", "codedeploy:RegisterApplicationRevision"]
        resources = ["${local.arn_prefix.codedeploy}:application:bbws-product-api-${env}", "${local.arn_prefix.codedeploy}:deploymentgroup:bbws-product-api-${env}/*"]
      },
      {
        # StopDeployment has no resource type in IAM: "*" (release.py stops a deployment it started).
        sid       = "StopReleases"
        read      = []
        write     = ["codedeploy:StopDeployment"]
        resources = ["*"]
      },
      {
        sid       = "ReleaseConfigs"
        read      = ["codedeploy:GetDeploymentConfig"]
        write     = []
        resources = ["${local.arn_prefix.codedeploy}:deploymentconfig:CodeDeployDefault.Lambda*"]
      },
      {
        # The page-token key: Terraform creates the secret empty, scripts/ops/page_token_key.py puts values
        # AWS generates. Neither role reads a value (no secretsmanager:GetSecretValue).
        sid       = "Secrets"
        read      = ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:ListSecretVersionIds"]
        write     = ["secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:UpdateSecret", "secretsmanager:TagResource", "secretsmanager:UntagResource", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"]
        resources = ["${local.arn_prefix.secretsmanager}:secret:bbws-*-${env}-*"]
      },
      {
        # GetRandomPassword has no resource type in IAM: "*" or nothing. It returns random bytes and touches
        # no resource.
        sid       = "GenerateSecretValues"
        read      = []
        write     = ["secretsmanager:GetRandomPassword"]
        resources = ["*"]
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
        # DescribeLogGroups lists by prefix: AWS's service authorization reference gives it no resource type
        # (the CloudWatch Logs guide names every log group, log-group:*); "*" is what both accept.
        sid       = "FindLogGroups"
        read      = ["logs:DescribeLogGroups"]
        write     = []
        resources = ["*"]
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
        read  = ["sns:GetTopicAttributes", "sns:ListTagsForResource", "sns:ListSubscriptionsByTopic"]
        write = ["sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:TagResource", "sns:UntagResource", "sns:Subscribe"]
        resources = [
          "arn:${local.partition}:sns:${local.region}:${local.account_id}:bbws-product-api-alarms-${env}",
          "arn:${local.partition}:sns:${local.region}:${local.account_id}:bbws-product-api-alarms-${env}:*",
        ]
      },
      {
        # SNS authorizes a subscription's own actions only on "*" (no resource type, no condition key): the
        # provider reads a subscription's attributes on every refresh and unsubscribes it on destroy.
        sid       = "AlarmTopicSubscriptions"
        read      = ["sns:GetSubscriptionAttributes"]
        write     = ["sns:SetSubscriptionAttributes", "sns:Unsubscribe"]
        resources = ["*"]
      },
      {
        # The table is encrypted with DynamoDB's AWS managed key: the provider describes it by its alias on
        # every refresh (the key has none of this project's tags).
        sid       = "TableEncryptionKey"
        read      = ["kms:DescribeKey"]
        write     = []
        resources = ["arn:${local.partition}:kms:${local.region}:${local.account_id}:key/*"]
        condition = { StringEquals = { "kms:RequestAlias" = "alias/aws/dynamodb" } }
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
        # CreateKey takes no resource; a new key must carry the environment's tags. The provider sends the
        # default tags with CreateKey, and tagging on create needs kms:TagResource too, from a statement that
        # cannot depend on aws:ResourceTag (the key has no tags yet). Null: only a key without an Environment
        # tag, so no key of another environment can be re-tagged into this one.
        sid       = "NewAlarmTopicKey"
        read      = []
        write     = ["kms:CreateKey", "kms:TagResource"]
        resources = ["*"]
        condition = {
          StringEquals = { "aws:RequestTag/Environment" = env, "aws:RequestTag/Project" = "BBWS" }
          Null         = { "aws:ResourceTag/Environment" = "true" }
        }
      },
      {
        # The canary (canary.tf), the function and layer Synthetics makes for it (cwsyn-<canary>-<id>) and the
        # bucket of its run reports.
        sid       = "Canary"
        read      = ["synthetics:GetCanary", "synthetics:GetCanaryRuns", "synthetics:ListTagsForResource"]
        write     = ["synthetics:UpdateCanary", "synthetics:DeleteCanary", "synthetics:StartCanary", "synthetics:StopCanary", "synthetics:TagResource", "synthetics:UntagResource"]
        resources = ["arn:${local.partition}:synthetics:${local.region}:${local.account_id}:canary:bbws-api-canary-${env}"]
      },
      {
        # CreateCanary has no resource type in IAM: "*", for a canary created with this environment's tag.
        sid       = "NewCanary"
        read      = []
        write     = ["synthetics:CreateCanary"]
        resources = ["*"]
        condition = { StringEquals = { "aws:RequestTag/Environment" = env } }
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
        # CreateCanary and UpdateCanary act with the caller's rights: the canary's function uses AWS's own
        # Synthetics runtime layer, which lives in an AWS account (any account id), and its code is built from
        # AWS's Synthetics library bucket (CloudWatchSyntheticsFullAccess grants the same, on every region).
        sid   = "CanaryRuntime"
        read  = []
        write = ["lambda:GetLayerVersion", "s3:GetObjectVersion"]
        resources = [
          "arn:${local.partition}:lambda:${local.region}:*:layer:Synthetics*",
          "arn:${local.partition}:lambda:${local.region}:*:layer:Synthetics*:*",
          "arn:${local.partition}:lambda:${local.region}:*:layer:AWS-CW-Synthetics*",
          "arn:${local.partition}:lambda:${local.region}:*:layer:AWS-CW-Synthetics*:*",
          "arn:${local.partition}:s3:::aws-synthetics-library-${local.region}/*",
        ]
      },
      {
        # s3:GetBucketLocation: CreateCanary checks the caller can reach the run reports' bucket.
        sid   = "CanaryReports"
        read  = ["s3:GetBucketLocation", "s3:ListBucket", "s3:GetBucketPolicy", "s3:GetBucketAcl", "s3:GetBucketCors", "s3:GetBucketWebsite", "s3:GetBucketVersioning", "s3:GetAccelerateConfiguration", "s3:GetBucketRequestPayment", "s3:GetBucketLogging", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:GetEncryptionConfiguration", "s3:GetBucketObjectLockConfiguration", "s3:GetBucketTagging", "s3:GetBucketPublicAccessBlock", "s3:GetBucketOwnershipControls", "s3:ListBucketVersions"]
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
        # REST API ARNs carry API Gateway's generated ids, not names: reading is by path, every change needs
        # the API's (or, for a new API, the request's) Environment tag. API Gateway authorizes a child of an
        # API (resource, method, stage, deployment) with the tags of the API it belongs to.
        sid   = "RestApis"
        read  = ["apigateway:GET"]
        write = []
        resources = [
          "arn:${local.partition}:apigateway:${local.region}::/restapis",
          "arn:${local.partition}:apigateway:${local.region}::/restapis/*",
          "arn:${local.partition}:apigateway:${local.region}::/account",
          "arn:${local.partition}:apigateway:${local.region}::/tags/*",
        ]
      },
      {
        sid       = "CreateTaggedRestApis"
        read      = []
        write     = ["apigateway:POST"]
        resources = ["arn:${local.partition}:apigateway:${local.region}::/restapis"]
        condition = { StringEquals = { "aws:RequestTag/Environment" = env } }
      },
      {
        sid       = "ChangeOwnRestApis"
        read      = []
        write     = ["apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"]
        resources = ["arn:${local.partition}:apigateway:${local.region}::/restapis/*", "arn:${local.partition}:apigateway:${local.region}::/tags/*"]
        condition = { StringEquals = { "aws:ResourceTag/Environment" = env } }
      },
      {
        # API Gateway's account settings (its CloudWatch logging role) have no tags and no narrower ARN.
        sid       = "ApiGatewayAccount"
        read      = []
        write     = ["apigateway:PATCH"]
        resources = ["arn:${local.partition}:apigateway:${local.region}::/account"]
      },
      {
        sid       = "StateBucket"
        read      = ["s3:ListBucket"]
        write     = []
        resources = [local.state_bucket_arns[env]]
      },
      {
        sid       = "StateObjects"
        read      = ["s3:GetObject"]
        write     = ["s3:PutObject", "s3:DeleteObject"]
        resources = ["${local.state_bucket_arns[env]}/${var.state_key_prefix}/*"]
      },
      {
        # A plan takes the state lock (a .tflock object beside the state) like an apply does.
        sid       = "StateLocks"
        read      = ["s3:PutObject", "s3:DeleteObject"]
        write     = []
        resources = ["${local.state_bucket_arns[env]}/${var.state_key_prefix}/*.tflock"]
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

  # The deploy role's explicit refusals, whatever else it is granted: the boundary, the bootstrap's own
  # roles and the OIDC provider are an administrator's (terraform/bootstrap), never the pipeline's.
  deploy_denials = {
    for env in var.environments : env => [
      {
        Sid      = "NeverChangeTheBoundary"
        Effect   = "Deny"
        Action   = ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy"]
        Resource = [local.boundary_arns[env]]
      },
      {
        # A trust policy says who may assume a role; a change to one is an administrator's (terraform/bootstrap).
        Sid      = "NeverRewriteATrustPolicy"
        Effect   = "Deny"
        Action   = ["iam:UpdateAssumeRolePolicy"]
        Resource = ["${local.iam_prefix}:role/*"]
      },
      {
        Sid      = "NeverRemoveABoundary"
        Effect   = "Deny"
        Action   = ["iam:DeleteRolePermissionsBoundary"]
        Resource = ["${local.iam_prefix}:role/*"]
      },
      {
        Sid    = "NeverChangeTheBootstrapRoles"
        Effect = "Deny"
        Action = ["iam:AttachRolePolicy", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
        "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:PassRole"]
        Resource = ["${local.iam_prefix}:role/bbws-product-api-deploy-*", "${local.iam_prefix}:role/bbws-product-api-plan-*"]
      },
      {
        Sid    = "NeverChangeTheOidcProvider"
        Effect = "Deny"
        Action = ["iam:AddClientIDToOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider", "iam:RemoveClientIDFromOpenIDConnectProvider",
        "iam:TagOpenIDConnectProvider", "iam:UntagOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint"]
        Resource = ["${local.iam_prefix}:oidc-provider/${local.github_oidc_host}"]
      },
    ]
  }

  # A family's condition applies to its whole statement; the plan role gets the reads only, the deploy role
  # the reads, the writes and its denials.
  role_policies = {
    for key, role in local.role_subjects : key => jsonencode({
      Version = "2012-10-17"
      Statement = concat(
        [
          for family in local.permissions[role.environment] : merge({
            Sid      = family.sid
            Effect   = "Allow"
            Action   = role.kind == "plan" ? family.read : concat(family.read, family.write)
            Resource = family.resources
          }, try({ Condition = family.condition }, {})) if length(role.kind == "plan" ? family.read : concat(family.read, family.write)) > 0
        ],
        role.kind == "deploy" ? local.deploy_denials[role.environment] : [],
      )
    })
  }

  # What any role the deploy role creates can ever do, whatever policy it is given: its environment's table,
  # function logs, traces, aliases and release alarms, its secrets' values and the canary's reports and
  # metrics. No IAM, no STS.
  boundary_policies = {
    for env in var.environments : env => jsonencode({
      Version = "2012-10-17"
      Statement = [
        {
          Sid      = "ProductsTable"
          Effect   = "Allow"
          Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:ConditionCheckItem"]
          Resource = ["${local.arn_prefix.dynamodb}:table/bbws-products-${env}", "${local.arn_prefix.dynamodb}:table/bbws-products-${env}/index/*"]
        },
        {
          Sid    = "Logs"
          Effect = "Allow"
          Action = local.boundary_log_actions
          Resource = [
            "${local.arn_prefix.logs}:log-group:/aws/lambda/bbws-*-${env}:*",
            "${local.arn_prefix.logs}:log-group:/aws/lambda/cwsyn-bbws-*-${env}-*",
          ]
        },
        {
          # API Gateway's logging role is account-wide (one per account and region, set by the environment
          # with manage_api_gateway_account): in an account shared by several environments it writes every
          # environment's access logs and the execution logs (named by API id). Only that role gets them here,
          # by its ARN, so no other role of this boundary reaches another environment's logs.
          Sid      = "ApiGatewayLogsOfEveryEnvironment"
          Effect   = "Allow"
          Action   = local.boundary_log_actions
          Resource = ["${local.arn_prefix.logs}:log-group:/aws/apigateway/bbws-product-api-*/*", "${local.arn_prefix.logs}:log-group:API-Gateway-Execution-Logs_*"]
          Condition = {
            ArnEquals = { "aws:PrincipalArn" = "${local.iam_prefix}:role/bbws-product-api-cloudwatch-${env}" }
          }
        },
        {
          # API Gateway's logging role lists log groups; IAM takes this action only on every group.
          Sid      = "FindLogGroups"
          Effect   = "Allow"
          Action   = ["logs:DescribeLogGroups"]
          Resource = ["*"]
        },
        {
          # X-Ray's write actions have no resource type: "*" or nothing.
          Sid      = "Traces"
          Effect   = "Allow"
          Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
          Resource = ["*"]
        },
        {
          # Lambda authorizes GetAlias and UpdateAlias against the function's unqualified ARN,
          # GetProvisionedConcurrencyConfig against the qualified one (alias or version).
          Sid      = "ShiftAliases"
          Effect   = "Allow"
          Action   = ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"]
          Resource = ["${local.arn_prefix.lambda}:function:bbws-*-${env}", "${local.arn_prefix.lambda}:function:bbws-*-${env}:*"]
        },
        {
          Sid      = "ReleaseAlarms"
          Effect   = "Allow"
          Action   = ["cloudwatch:DescribeAlarms"]
          Resource = ["${local.arn_prefix.cloudwatch}:alarm:bbws-*-${env}-*"]
        },
        {
          Sid      = "ReadSecrets"
          Effect   = "Allow"
          Action   = ["secretsmanager:GetSecretValue"]
          Resource = ["${local.arn_prefix.secretsmanager}:secret:bbws-*-${env}-*"]
        },
        {
          # The Synthetics canary (Lambda stack): its run reports, in its own bucket.
          Sid      = "CanaryReports"
          Effect   = "Allow"
          Action   = ["s3:PutObject", "s3:GetObject", "s3:GetBucketLocation"]
          Resource = ["arn:${local.partition}:s3:::bbws-product-api-canary-${env}-${local.account_id}", "arn:${local.partition}:s3:::bbws-product-api-canary-${env}-${local.account_id}/*"]
        },
        {
          # Synthetics lists buckets, and PutMetricData has no resource type: "*", the latter for its namespace only.
          Sid      = "CanaryAccountWide"
          Effect   = "Allow"
          Action   = ["s3:ListAllMyBuckets"]
          Resource = ["*"]
        },
        {
          Sid       = "CanaryMetrics"
          Effect    = "Allow"
          Action    = ["cloudwatch:PutMetricData"]
          Resource  = ["*"]
          Condition = { StringEquals = { "cloudwatch:namespace" = "CloudWatchSynthetics" } }
        },
      ]
    })
  }
}

resource "aws_iam_policy" "boundary" {
  for_each = local.boundary_names

  name        = each.value
  description = "Permissions boundary of every role the ${each.key} deploy role creates: the most any BBWS product API workload role can do."
  policy      = local.boundary_policies[each.key]
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
