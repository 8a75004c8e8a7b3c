output "state_buckets" {
  description = "State bucket per environment (bucket in each stack's environments/<env>.backend.hcl)."
  value       = { for env, bucket in aws_s3_bucket.state : env => bucket.id }
}

output "github_oidc_provider_arn" {
  description = "ARN of the account's GitHub OIDC identity provider."
  value       = local.github_oidc_provider_arn
}

output "plan_role_arns" {
  description = "Per environment, the read-only plan role: the variable AWS_PLAN_ROLE_ARN of the GitHub environment <env>-plan."
  value       = { for key, role in aws_iam_role.github : local.role_subjects[key].environment => role.arn if local.role_subjects[key].kind == "plan" }
}

output "deploy_role_arns" {
  description = "Per environment, the deploy role: the variable AWS_DEPLOY_ROLE_ARN of the GitHub environment <env>."
  value       = { for key, role in aws_iam_role.github : local.role_subjects[key].environment => role.arn if local.role_subjects[key].kind == "deploy" }
}

output "access_analyzer_arn" {
  description = "ARN of the account's external access analyzer (null when create_access_analyzer is false): its findings list what principals outside the account can use."
  value       = one(aws_accessanalyzer_analyzer.external_access[*].arn)
}
