# Offline tests of the bootstrap stack: a mocked AWS provider, nothing leaves this machine.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111111111111" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::mock-state-bucket" }
  }
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = { arn = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com" }
  }
}

variables {
  github_repository = "example-org/bbws-product-api"
}

run "one_protected_state_bucket_per_environment" {
  command = apply

  assert {
    condition     = toset([for b in aws_s3_bucket.state : b.bucket]) == toset(["bbws-terraform-state-dev", "bbws-terraform-state-sit", "bbws-terraform-state-prod"])
    error_message = "One state bucket per environment, named as in environments/<env>.backend.hcl."
  }
  assert {
    condition     = alltrue([for v in aws_s3_bucket_versioning.state : v.versioning_configuration[0].status == "Enabled"])
    error_message = "State buckets must be versioned (earlier states are the way back)."
  }
  assert {
    condition     = alltrue([for e in aws_s3_bucket_server_side_encryption_configuration.state : one(one(e.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"])
    error_message = "State buckets must be encrypted at rest."
  }
  assert {
    condition     = alltrue([for p in aws_s3_bucket_public_access_block.state : p.block_public_acls && p.block_public_policy && p.ignore_public_acls && p.restrict_public_buckets])
    error_message = "Every public access setting must be blocked."
  }
  assert {
    condition = alltrue([for p in aws_s3_bucket_policy.state : anytrue([
      for s in jsondecode(p.policy).Statement : s.Effect == "Deny" && s.Condition.Bool["aws:SecureTransport"] == "false"
    ])])
    error_message = "State buckets must refuse requests without TLS."
  }
  assert {
    condition     = alltrue([for b in aws_s3_bucket.state : !b.force_destroy])
    error_message = "State buckets must not be force-destroyable by default."
  }
}

run "roles_trust_only_this_repository_in_one_github_environment" {
  command = apply

  assert {
    condition     = length(aws_iam_role.github) == 6
    error_message = "A plan role and a deploy role per environment."
  }
  assert {
    condition = alltrue([for key, role in aws_iam_role.github :
      jsondecode(role.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == (
        endswith(key, "-plan") ? "repo:example-org/bbws-product-api:environment:${split("-", key)[0]}-plan" : "repo:example-org/bbws-product-api:environment:${split("-", key)[0]}"
      )
    ])
    error_message = "Deploy roles trust repo:<owner>/<repo>:environment:<env>, plan roles environment:<env>-plan."
  }
  assert {
    condition = alltrue([for role in aws_iam_role.github :
      jsondecode(role.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
      && jsondecode(role.assume_role_policy).Statement[0].Action == "sts:AssumeRoleWithWebIdentity"
    ])
    error_message = "Roles are assumed only with a GitHub OIDC token for STS."
  }
  assert {
    condition     = aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com" && aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    error_message = "The OIDC provider is GitHub's, for STS."
  }
}

run "permissions_are_named_resources_of_one_environment" {
  command = apply

  assert {
    condition = alltrue(flatten([for policy in aws_iam_role_policy.github : [
      for s in jsondecode(policy.policy).Statement : [for a in s.Action : !strcontains(a, "*")]
    ]]))
    error_message = "No wildcard actions."
  }
  assert {
    condition = alltrue(flatten([for key, policy in aws_iam_role_policy.github : [
      for s in jsondecode(policy.policy).Statement : [
        for r in s.Resource : strcontains(r, split("-", key)[0]) if s.Effect == "Allow" && !contains(["FindLogGroups", "SavedQueries", "RestApis", "CreateTaggedRestApis", "ChangeOwnRestApis", "ApiGatewayAccount", "ReleaseConfigs", "GenerateSecretValues", "StateBucket", "StateObjects", "StateLocks", "AlarmTopicKey", "NewAlarmTopicKey", "CanaryRuntime", "AlarmTopicSubscriptions", "TableEncryptionKey", "StopReleases", "NewCanary"], s.Sid)
      ]
    ]]))
    error_message = "Table, function, role, log group, alarm and invoke resources carry the environment's suffix (not AWS's own Synthetics runtime)."
  }
  assert {
    condition = alltrue(flatten([for key, policy in aws_iam_role_policy.github : [
      for s in jsondecode(policy.policy).Statement : [for r in s.Resource : r != "*"] if !contains(["SavedQueries", "NewAlarmTopicKey", "GenerateSecretValues", "FindLogGroups", "AlarmTopicSubscriptions", "StopReleases", "NewCanary"], s.Sid)
    ]]))
    error_message = "No statement on every resource but those whose actions IAM gives no resource type: the saved queries, CreateKey, GetRandomPassword, DescribeLogGroups, a subscription's actions, StopDeployment and CreateCanary."
  }
  assert {
    condition = alltrue(flatten([for key, policy in aws_iam_role_policy.github : [
      for s in jsondecode(policy.policy).Statement : values(s.Condition.StringEquals) == [split("-", key)[0], "BBWS"] if contains(["AlarmTopicKey", "NewAlarmTopicKey"], s.Sid)
    ]]))
    error_message = "KMS keys (ids, not names) are reached only through the environment's tags: an existing key's, or a new key's request tags."
  }
  assert {
    condition     = alltrue([for action in ["sns:CreateTopic", "sns:Subscribe", "kms:CreateKey", "synthetics:CreateCanary", "lambda:CreateFunction", "s3:CreateBucket"] : contains(flatten([for s in jsondecode(aws_iam_role_policy.github["prod-deploy"].policy).Statement : s.Action]), action)])
    error_message = "The deploy role can create the alarm topic, its key and subscriptions, and the canary with its function and bucket."
  }
  assert {
    condition = alltrue(flatten([for key, policy in aws_iam_role_policy.github : [
      for s in jsondecode(policy.policy).Statement : [
        for a in s.Action : can(regex(":(Get|List|Describe)|^apigateway:GET$", a)) if s.Sid != "StateLocks"
      ]
    ] if endswith(key, "-plan")]))
    error_message = "Plan roles only read (besides taking the state lock)."
  }
  assert {
    condition     = contains(jsondecode(aws_iam_role_policy.github["prod-deploy"].policy).Statement[0].Resource, "arn:aws:dynamodb:eu-west-1:111111111111:table/bbws-products-prod")
    error_message = "The prod deploy role manages the prod table by its name."
  }
  assert {
    condition     = contains(flatten([for s in jsondecode(aws_iam_role_policy.github["prod-deploy"].policy).Statement : s.Action]), "logs:PutQueryDefinition")
    error_message = "The deploy role can save the Lambda stack's Logs Insights queries."
  }
}

# The deploy role cannot escalate: whatever role it creates or changes carries the boundary the bootstrap
# defines, it attaches only this project's policies, passes roles only to Lambda and CodeDeploy (and the logging
# role to API Gateway), and never touches the boundary, the bootstrap's roles or the OIDC provider.
run "the_deploy_role_cannot_escalate" {
  command = apply

  assert {
    condition = alltrue(flatten([for key, policy in aws_iam_role_policy.github : [
      for s in jsondecode(policy.policy).Statement : try(s.Condition.StringEquals["iam:PermissionsBoundary"], "") == "arn:aws:iam::111111111111:policy/bbws-product-api-boundary-${split("-", key)[0]}"
      if s.Effect == "Allow" && length(setintersection(s.Action, ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary"])) > 0
    ]]))
    error_message = "Creating a role or changing its policies requires the environment's permissions boundary (iam:PermissionsBoundary)."
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.github["dev-deploy"].policy).Statement : s.Condition.ArnLike["iam:PolicyARN"] if contains(s.Action, "iam:AttachRolePolicy") && s.Effect == "Allow"] == [[
      "arn:aws:iam::111111111111:policy/bbws-*-dev",
      "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
    ]]
    error_message = "Only this project's policies (and API Gateway's logging policy) may be attached (iam:PolicyARN)."
  }
  assert {
    condition = { for s in jsondecode(aws_iam_role_policy.github["dev-deploy"].policy).Statement : s.Sid => [s.Resource, try(s.Condition.StringEquals["iam:PassedToService"], null)] if contains(s.Action, "iam:PassRole") && s.Effect == "Allow" } == {
      PassRolesToLambdaAndCodeDeploy = [["arn:aws:iam::111111111111:role/bbws-*-dev-role"], ["lambda.amazonaws.com", "codedeploy.amazonaws.com"]]
      PassTheLoggingRoleToApiGateway = [["arn:aws:iam::111111111111:role/bbws-product-api-cloudwatch-dev"], "apigateway.amazonaws.com"]
      PassTheCanaryRoleToSynthetics  = [["arn:aws:iam::111111111111:role/bbws-api-canary-dev-role"], ["lambda.amazonaws.com", "synthetics.amazonaws.com"]]
    }
    error_message = "Roles are passed only to Lambda and CodeDeploy; API Gateway gets only its logging role, Synthetics (and Lambda, for the canary's function) only the canary's."
  }
  assert {
    condition = alltrue(flatten([for key, policy in aws_iam_role_policy.github : [
      for s in jsondecode(policy.policy).Statement : !contains(s.Action, "iam:PassRole") || can(s.Condition.StringEquals["iam:PassedToService"]) if s.Effect == "Allow"
    ]]))
    error_message = "No PassRole without iam:PassedToService."
  }
  assert {
    condition     = { for s in jsondecode(aws_iam_role_policy.github["prod-deploy"].policy).Statement : s.Sid => s.Resource if s.Effect == "Deny" } == { NeverChangeTheBoundary = ["arn:aws:iam::111111111111:policy/bbws-product-api-boundary-prod"], NeverRewriteATrustPolicy = ["arn:aws:iam::111111111111:role/*"], NeverRemoveABoundary = ["arn:aws:iam::111111111111:role/*"], NeverChangeTheBootstrapRoles = ["arn:aws:iam::111111111111:role/bbws-product-api-deploy-*", "arn:aws:iam::111111111111:role/bbws-product-api-plan-*"], NeverChangeTheOidcProvider = ["arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"] }
    error_message = "The deploy role is refused any change to the boundary, to a trust policy, to a role's boundary, to the bootstrap's roles and to the OIDC provider."
  }
  assert {
    condition = alltrue(flatten([for key, policy in aws_iam_role_policy.github : [
      for s in jsondecode(policy.policy).Statement : [for a in s.Action : !can(regex("^iam:(Create|Delete|Set)Policy|^iam:CreatePolicyVersion|^iam:.*User|^iam:.*OpenIDConnect|^sts:", a))] if s.Effect == "Allow"
    ]]))
    error_message = "No role may create or change a managed policy, a user, the OIDC provider, or call STS."
  }
  assert {
    condition = alltrue(flatten([for key, policy in aws_iam_role_policy.github : [
      for s in jsondecode(policy.policy).Statement : try(s.Condition.StringEquals["aws:ResourceTag/Environment"], s.Condition.StringEquals["aws:RequestTag/Environment"], "") == split("-", key)[0]
      if s.Effect == "Allow" && anytrue([for a in s.Action : contains(["apigateway:POST", "apigateway:PUT", "apigateway:DELETE"], a)])
    ] if endswith(key, "-deploy")]))
    error_message = "API Gateway changes need the environment's tag on the API (or on the new API)."
  }
  assert {
    condition = alltrue([for env, policy in aws_iam_policy.boundary :
      policy.name == "bbws-product-api-boundary-${env}" && alltrue(flatten([for s in jsondecode(policy.policy).Statement : [
        for a in s.Action : !startswith(a, "iam:") && !startswith(a, "sts:") && !strcontains(a, "*")
      ]]))
    ])
    error_message = "The boundary of each environment grants no IAM, no STS and no wildcard action."
  }
  assert {
    condition = alltrue(flatten([for env, policy in aws_iam_policy.boundary : [
      for s in jsondecode(policy.policy).Statement : [for r in s.Resource : strcontains(r, "-${env}") if !contains(["Traces", "FindLogGroups", "CanaryAccountWide", "CanaryMetrics", "ApiGatewayLogsOfEveryEnvironment"], s.Sid)]
    ]]))
    error_message = "The boundary names its environment's resources, but for traces and listing log groups (no resource type) and the account-wide API Gateway logging role's log groups."
  }
}

# What AWS authorizes on the first apply and the first release, beyond what an emulator checks (issue 20).
run "the_deploy_role_holds_what_aws_authorizes_on_the_first_deploy" {
  command = apply

  # Finding 2: the provider tags the alarm topic's key in CreateKey; tagging on create is kms:TagResource,
  # which cannot depend on aws:ResourceTag (the new key has none).
  assert {
    condition = alltrue([for env in ["dev", "sit", "prod"] : anytrue([
      for s in jsondecode(aws_iam_role_policy.github["${env}-deploy"].policy).Statement :
      s.Effect == "Allow" && length(setintersection(s.Action, ["kms:CreateKey", "kms:TagResource"])) == 2 && s.Resource == ["*"]
      && try(s.Condition.StringEquals["aws:RequestTag/Environment"], "") == env && !can(s.Condition.StringEquals["aws:ResourceTag/Environment"])
    ])])
    error_message = "The deploy role may tag a new key in CreateKey (kms:TagResource under aws:RequestTag, not aws:ResourceTag)."
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.github["dev-deploy"].policy).Statement : try(s.Condition.Null["aws:ResourceTag/Environment"], "") == "true"
      if s.Effect == "Allow" && contains(s.Action, "kms:TagResource") && !can(s.Condition.StringEquals["aws:ResourceTag/Environment"])
    ])
    error_message = "Tagging by request tags alone only reaches a key without an Environment tag: no key of another environment is re-tagged into this one."
  }
  # Finding 3: CreateCanary acts with the caller's rights (CloudWatchSyntheticsFullAccess).
  assert {
    condition = alltrue([for resource in ["arn:aws:lambda:eu-west-1:*:layer:Synthetics*", "arn:aws:lambda:eu-west-1:*:layer:Synthetics*:*"] : anytrue([
      for s in jsondecode(aws_iam_role_policy.github["dev-deploy"].policy).Statement : s.Effect == "Allow" && contains(s.Action, "lambda:GetLayerVersion") && contains(s.Resource, resource)
    ])])
    error_message = "The deploy role reads AWS's Synthetics runtime layers, which live in an AWS account (lambda:GetLayerVersion on *:layer:Synthetics*)."
  }
  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_role_policy.github["dev-deploy"].policy).Statement : s.Effect == "Allow" && contains(s.Action, "s3:GetBucketLocation") && contains(s.Resource, "arn:aws:s3:::bbws-product-api-canary-dev-111111111111")
    ])
    error_message = "CreateCanary checks the caller may locate the run reports' bucket (s3:GetBucketLocation)."
  }
  assert {
    condition     = alltrue([for action in ["lambda:CreateFunction", "lambda:AddPermission", "lambda:PublishVersion", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:GetFunctionConfiguration", "lambda:PublishLayerVersion", "lambda:GetLayerVersion"] : contains(one([for s in jsondecode(aws_iam_role_policy.github["dev-deploy"].policy).Statement : s.Action if s.Sid == "CanaryFunction"]), action)])
    error_message = "The deploy role may make the canary's cwsyn- function and layer, as CreateCanary does with its rights."
  }
  # Finding 5: Lambda authorizes GetAlias and UpdateAlias on the unqualified function ARN.
  assert {
    condition = alltrue([for env, policy in aws_iam_policy.boundary : [
      for s in jsondecode(policy.policy).Statement : s.Resource if s.Sid == "ShiftAliases"
    ] == [["arn:aws:lambda:eu-west-1:111111111111:function:bbws-*-${env}", "arn:aws:lambda:eu-west-1:111111111111:function:bbws-*-${env}:*"]]])
    error_message = "The boundary lets CodeDeploy's role read and move aliases on the unqualified function ARN (GetAlias, UpdateAlias) and the qualified one."
  }
  # Finding 11: no trust policy rewrites, and API Gateway's account-wide logging role reaches every environment's logs.
  assert {
    condition = alltrue(flatten([for key, policy in aws_iam_role_policy.github : [
      for s in jsondecode(policy.policy).Statement : !contains(s.Action, "iam:UpdateAssumeRolePolicy") if s.Effect == "Allow"
    ]]))
    error_message = "No role may rewrite a trust policy (iam:UpdateAssumeRolePolicy): that is an administrator's bootstrap change."
  }
  assert {
    condition = alltrue([for env, policy in aws_iam_policy.boundary : [
      for s in jsondecode(policy.policy).Statement : [s.Resource, s.Condition] if anytrue([for r in s.Resource : strcontains(r, ":log-group:/aws/apigateway/") || strcontains(r, "API-Gateway-Execution-Logs")])
      ] == [[
        ["arn:aws:logs:eu-west-1:111111111111:log-group:/aws/apigateway/bbws-product-api-*/*", "arn:aws:logs:eu-west-1:111111111111:log-group:API-Gateway-Execution-Logs_*"],
        { ArnEquals = { "aws:PrincipalArn" = "arn:aws:iam::111111111111:role/bbws-product-api-cloudwatch-${env}" } },
    ]]])
    error_message = "API Gateway's logging role (one per account) may write every environment's API logs; no other role of the boundary reaches API Gateway's logs."
  }
  # Finding 11: whatever a role's trust policy says, Access Analyzer reports access from outside the account.
  assert {
    condition     = length(aws_accessanalyzer_analyzer.external_access) == 1 && aws_accessanalyzer_analyzer.external_access[0].type == "ACCOUNT"
    error_message = "The bootstrap creates the account's external access analyzer (zone of trust: the account)."
  }
}

run "the_plan_role_reads_no_secret" {
  command = apply

  assert {
    condition = alltrue(flatten([for key, policy in aws_iam_role_policy.github : [
      for s in jsondecode(policy.policy).Statement : [for a in s.Action : !contains(["secretsmanager:GetSecretValue", "kms:Decrypt", "ssm:GetParameter", "ssm:GetParameters"], a)]
    ]]))
    error_message = "Neither role reads a secret value (the page-token key is read only by the list function)."
  }
  assert {
    condition     = contains(flatten([for s in jsondecode(aws_iam_role_policy.github["dev-plan"].policy).Statement : s.Action]), "secretsmanager:DescribeSecret")
    error_message = "The plan role may describe the secret (its metadata), for the plan."
  }
}

run "one_account_per_environment_and_an_existing_oidc_provider" {
  command = plan

  variables {
    environments                = ["prod"]
    create_github_oidc_provider = false
    create_access_analyzer      = false
  }

  assert {
    condition     = length(aws_s3_bucket.state) == 1 && length(aws_iam_role.github) == 2 && length(aws_iam_openid_connect_provider.github) == 0 && length(aws_accessanalyzer_analyzer.external_access) == 0
    error_message = "A prod-only account gets one bucket, two roles and reuses the existing OIDC provider and access analyzer."
  }
}

run "repository_must_be_owner_slash_name" {
  command = plan

  variables {
    github_repository = "https://github.com/example-org/bbws-product-api"
  }

  expect_failures = [var.github_repository]
}

run "unknown_environment_is_refused" {
  command = plan

  variables {
    environments = ["dev", "staging"]
  }

  expect_failures = [var.environments]
}

run "retention_of_old_state_versions_is_bounded" {
  command = plan

  variables {
    noncurrent_state_retention_days = 1
  }

  expect_failures = [var.noncurrent_state_retention_days]
}
