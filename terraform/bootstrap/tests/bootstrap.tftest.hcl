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
        for r in s.Resource : strcontains(r, split("-", key)[0]) if !contains(["FindLogGroups", "SavedQueries", "RestApis", "StateBucket", "StateObjects", "StateLocks", "AlarmTopicKey", "NewAlarmTopicKey"], s.Sid)
      ]
    ]]))
    error_message = "Table, function, role, log group, alarm and invoke resources carry the environment's suffix."
  }
  assert {
    condition = alltrue(flatten([for key, policy in aws_iam_role_policy.github : [
      for s in jsondecode(policy.policy).Statement : [for r in s.Resource : r != "*"] if !contains(["SavedQueries", "NewAlarmTopicKey"], s.Sid)
    ]]))
    error_message = "No statement on every resource but the saved queries' (IAM has no resource type for them) and CreateKey's (none either)."
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

run "one_account_per_environment_and_an_existing_oidc_provider" {
  command = plan

  variables {
    environments                = ["prod"]
    create_github_oidc_provider = false
  }

  assert {
    condition     = length(aws_s3_bucket.state) == 1 && length(aws_iam_role.github) == 2 && length(aws_iam_openid_connect_provider.github) == 0
    error_message = "A prod-only account gets one bucket, two roles and reuses the existing OIDC provider."
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
