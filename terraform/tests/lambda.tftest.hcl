# Offline tests of the Lambda stack: a mocked AWS provider and the infrastructure stack's outputs given here.
# Needs the packages (bash scripts/ops/package_lambdas.sh): the functions hash their ZIPs at plan time.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111111111111:role/mock" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:111111111111:log-group:mock" }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:111111111111:function:mock/invocations"
      arn        = "arn:aws:lambda:eu-west-1:111111111111:function:mock"
      version    = "7"
    }
  }
  mock_resource "aws_lambda_alias" {
    defaults = {
      arn        = "arn:aws:lambda:eu-west-1:111111111111:function:mock:live"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:111111111111:function:mock:live/invocations"
    }
  }
  mock_resource "aws_cloudwatch_metric_alarm" {
    defaults = { arn = "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:mock" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111111111111" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::bbws-product-api-canary-dev-111111111111" }
  }
  mock_resource "aws_lambda_layer_version" {
    defaults = { arn = "arn:aws:lambda:eu-west-1:111111111111:layer:mock:1" }
  }
}

override_data {
  target = data.terraform_remote_state.infrastructure
  values = {
    outputs = {
      environment                    = "dev"
      api_gateway_id                 = "a1b2c3"
      api_gateway_name               = "bbws-product-api-dev"
      api_gateway_execution_arn      = "arn:aws:execute-api:eu-west-1:111111111111:a1b2c3"
      api_gateway_root_resource_id   = "root00"
      api_gateway_configuration_hash = "0000"
      api_gateway_resources = {
        root      = { id = "root00", path = "/" }
        version   = { id = "vers00", path = "/v1.0" }
        products  = { id = "prods0", path = "/v1.0/products" }
        product   = { id = "prod00", path = "/v1.0/products/{productId}" }
        catch_all = { id = "proxy0", path = "/{proxy+}" }
      }
      cors_allowed_origins     = ["*"]
      dynamodb_table_name      = "bbws-products-dev"
      dynamodb_table_arn       = "arn:aws:dynamodb:eu-west-1:111111111111:table/bbws-products-dev"
      dynamodb_index_names     = ["ProductsByPriceIndex", "ProductsByNameIndex"]
      dynamodb_operations      = ["DeleteItem", "GetItem", "PutItem", "Query", "Scan", "TransactWriteItems", "UpdateItem"]
      alarm_topic_arn          = "arn:aws:sns:eu-west-1:111111111111:bbws-product-api-alarms-dev"
      alarm_actions            = ["arn:aws:sns:eu-west-1:111111111111:bbws-product-api-alarms-dev"]
      permissions_boundary_arn = "arn:aws:iam::111111111111:policy/bbws-product-api-boundary-dev"
      secret_arns              = { page-token-key = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:bbws-page-token-key-dev-AbCdEf" }
    }
  }
}

variables {
  environment                 = "dev"
  infrastructure_state_bucket = "bbws-terraform-state-dev"
}

run "dev_functions" {
  command = apply

  assert {
    condition = { for name, fn in aws_lambda_function.api : name => fn.function_name } == {
      list_products  = "bbws-list-products-dev"
      get_product    = "bbws-get-product-dev"
      create_product = "bbws-create-product-dev"
      update_product = "bbws-update-product-dev"
      delete_product = "bbws-delete-product-dev"
    }
    error_message = "Functions must be bbws-<handler with hyphens>-<env>."
  }
  assert {
    condition     = alltrue([for name, fn in aws_lambda_function.api : fn.handler == "handlers.${name}.handler"])
    error_message = "Handlers must be handlers.<name>.handler (src/ as package root)."
  }
  assert {
    condition = alltrue([
      for fn in aws_lambda_function.api :
      fn.runtime == "python3.12" && fn.architectures == tolist(["arm64"]) && fn.memory_size == 256 && fn.timeout == 15 && fn.tracing_config[0].mode == "Active"
    ])
    error_message = "Every function: python3.12, arm64, 256 MB, 15 s (under API Gateway's 29 s), X-Ray active."
  }
  assert {
    condition     = { for name, fn in aws_lambda_function.api : name => length(fn.layers) } == { list_products = 0, get_product = 0, create_product = 1, update_product = 1, delete_product = 0 }
    error_message = "Only create_product and update_product (pydantic) take the dependencies layer."
  }
  assert {
    condition = alltrue([
      for name, fn in aws_lambda_function.api :
      { for key, value in fn.environment[0].variables : key => value if key != "PAGE_TOKEN_KEY_SECRET_ID" } == { TABLE_NAME = "bbws-products-dev", LOG_LEVEL = "INFO", ALLOWED_ORIGINS = "*", ENVIRONMENT = "dev" }
    ])
    error_message = "Functions read TABLE_NAME, LOG_LEVEL, ALLOWED_ORIGINS and ENVIRONMENT (never DYNAMODB_ENDPOINT_URL)."
  }
  assert {
    condition     = { for name, fn in aws_lambda_function.api : name => fn.environment[0].variables["PAGE_TOKEN_KEY_SECRET_ID"] if contains(keys(fn.environment[0].variables), "PAGE_TOKEN_KEY_SECRET_ID") } == { list_products = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:bbws-page-token-key-dev-AbCdEf" }
    error_message = "Only the list function (functions.json secrets) is told where the page-token key is: the ARN of the infrastructure stack's secret, never a value."
  }
  assert {
    condition     = output.secret_arns == { page-token-key = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:bbws-page-token-key-dev-AbCdEf" }
    error_message = "The Lambda stack makes no secret: it passes on the infrastructure stack's secret_arns for what its functions read."
  }
  assert {
    condition = jsonencode({ for name, doc in data.aws_iam_policy_document.function : name => [for s in doc.statement : [s.actions, s.resources] if anytrue([for a in s.actions : startswith(a, "secretsmanager:")])] }) == jsonencode({
      list_products  = [[["secretsmanager:GetSecretValue"], ["arn:aws:secretsmanager:eu-west-1:111111111111:secret:bbws-page-token-key-dev-AbCdEf"]]]
      get_product    = []
      create_product = []
      update_product = []
      delete_product = []
    })
    error_message = "Only the list function's role reads a secret value, and only its own secret's."
  }
  assert {
    condition     = alltrue([for fn in aws_lambda_function.api : fn.reserved_concurrent_executions == -1])
    error_message = "dev reserves no concurrency."
  }
  assert {
    condition     = alltrue([for name, group in aws_cloudwatch_log_group.function : group.name == "/aws/lambda/bbws-${replace(name, "_", "-")}-dev" && group.retention_in_days == 90])
    error_message = "Each function has its /aws/lambda/<function> log group with 90-day retention."
  }
  assert {
    condition     = aws_cloudwatch_log_group.api_access.retention_in_days == 90
    error_message = "API access logs are kept 90 days."
  }
  assert {
    condition     = { for name, permission in aws_lambda_permission.api_gateway : name => permission.source_arn } == { for name, route in { list_products = "GET/v1.0/products", get_product = "GET/v1.0/products/*", create_product = "POST/v1.0/products", update_product = "PUT/v1.0/products/*", delete_product = "DELETE/v1.0/products/*" } : name => "arn:aws:execute-api:eu-west-1:111111111111:a1b2c3/dev/${route}" }
    error_message = "API Gateway may invoke a function only through its own route in this stage; a path parameter is \"*\" (the request's own path is in aws:SourceArn)."
  }
  # ArnLike, as Lambda evaluates the permission's aws:SourceArn condition: per colon-separated part, "*" is any
  # run of characters but ":", "?" one character, the rest literal.
  assert {
    condition = alltrue([
      for name, permission in aws_lambda_permission.api_gateway : can(regex(
        "^${join("[^:]*", [for literal in split("*", permission.source_arn) : replace(replace(literal, "/([.+()\\[\\]{}|^$\\\\])/", "\\$1"), "?", "[^:]")])}$",
        "arn:aws:execute-api:eu-west-1:111111111111:a1b2c3/dev/${local.functions[name].method}${replace(local.infrastructure.api_gateway_resources[local.functions[name].resource].path, "{productId}", "0b5c7a52-9d3e-4f61-a8b2-7c4d5e6f7a8b")}",
      ))
    ])
    error_message = "A real request (GET /dev/v1.0/products/0b5c7a52-...) must match its function's invoke permission, or API Gateway answers 500 (Invalid permissions on Lambda function)."
  }
  assert {
    condition = !anytrue(flatten([
      for name, permission in aws_lambda_permission.api_gateway : [
        for other in ["arn:aws:execute-api:eu-west-1:111111111111:a1b2c3/sit/${local.functions[name].method}/v1.0/products/0b5c7a52", "arn:aws:execute-api:eu-west-1:111111111111:a1b2c3/dev/PATCH/v1.0/products/0b5c7a52", "arn:aws:execute-api:eu-west-1:111111111111:f9e8d7/dev/${local.functions[name].method}/v1.0/products/0b5c7a52"] :
        can(regex("^${join("[^:]*", [for literal in split("*", permission.source_arn) : replace(replace(literal, "/([.+()\\[\\]{}|^$\\\\])/", "\\$1"), "?", "[^:]")])}$", other))
      ]
    ]))
    error_message = "Another stage, method or API must not match an invoke permission."
  }
  assert {
    condition     = local.tags == { Project = "BBWS", Component = "ProductLambda", CostCenter = "BBWS-CPP", Environment = "dev", ManagedBy = "terraform" }
    error_message = "default_tags must carry the five BBWS tags."
  }
}

run "releases_shift_traffic_through_codedeploy_and_roll_back_on_alarm" {
  command = apply

  assert {
    condition     = alltrue([for fn in aws_lambda_function.api : fn.publish]) && aws_lambda_layer_version.dependencies.skip_destroy
    error_message = "Every function publishes a version per change; old layer versions are kept so every version still runs."
  }
  assert {
    condition     = { for name, alias in aws_lambda_alias.live : name => [alias.name, alias.function_name, alias.function_version] } == { for name, fn in aws_lambda_function.api : name => ["live", fn.function_name, fn.version] }
    error_message = "Each function has the alias live, created at the version the apply published."
  }
  assert {
    condition     = alltrue([for name, integration in aws_api_gateway_integration.route : integration.uri == aws_lambda_alias.live[name].invoke_arn && endswith(integration.uri, ":live/invocations")])
    error_message = "API Gateway invokes the alias live, never $LATEST."
  }
  assert {
    condition     = alltrue([for permission in aws_lambda_permission.api_gateway : permission.qualifier == "live"])
    error_message = "API Gateway may invoke only the alias."
  }
  assert {
    condition     = aws_codedeploy_app.product_api.name == "bbws-product-api-dev" && aws_codedeploy_app.product_api.compute_platform == "Lambda"
    error_message = "One CodeDeploy application (Lambda) per environment."
  }
  assert {
    condition     = { for name, group in aws_codedeploy_deployment_group.function : name => group.deployment_group_name } == { for name, fn in aws_lambda_function.api : name => fn.function_name }
    error_message = "One deployment group per function, named after it."
  }
  assert {
    condition = alltrue([
      for group in aws_codedeploy_deployment_group.function :
      group.deployment_config_name == "CodeDeployDefault.LambdaCanary10Percent5Minutes" && group.auto_rollback_configuration[0].enabled
      && toset(group.auto_rollback_configuration[0].events) == toset(["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"])
      && group.deployment_style[0].deployment_type == "BLUE_GREEN" && group.deployment_style[0].deployment_option == "WITH_TRAFFIC_CONTROL"
      && group.service_role_arn == aws_iam_role.codedeploy.arn
    ])
    error_message = "Deployment groups shift traffic (default: canary) and roll back on a failure and on an alarm."
  }
  assert {
    condition = {
      for name, group in aws_codedeploy_deployment_group.function : name => [group.alarm_configuration[0].enabled, sort(tolist(group.alarm_configuration[0].alarms))]
      } == {
      for name, fn in aws_lambda_function.api : name => [true, sort([for kind in ["errors", "latency-p95", "unexpected-errors"] : "${fn.function_name}-release-${kind}"])]
    }
    error_message = "Each deployment group watches its function's errors, UnexpectedErrors and p95 latency alarms."
  }
  assert {
    condition = alltrue([
      for key, alarm in aws_cloudwatch_metric_alarm.release : alarm.namespace == "AWS/Lambda" && alarm.dimensions == tomap({
        FunctionName    = aws_lambda_function.api[split("/", key)[0]].function_name
        Resource        = "${aws_lambda_function.api[split("/", key)[0]].function_name}:live"
        ExecutedVersion = "7"
      }) if !endswith(key, "/unexpected-errors")
    ])
    error_message = "The Errors and latency alarms watch the version being released, invoked through live."
  }
  assert {
    condition     = jsonencode({ for key, alarm in aws_cloudwatch_metric_alarm.release : key => [alarm.namespace, alarm.metric_name, alarm.dimensions] if endswith(key, "/unexpected-errors") }) == jsonencode({ for name in keys(local.functions) : "${name}/unexpected-errors" => ["BBWS/ProductApi", "UnexpectedErrors", { Environment = "dev", FunctionVersion = "7", Operation = name }] })
    error_message = "The UnexpectedErrors release alarm watches the version being released (the handlers' EMF metric by Operation, Environment and FunctionVersion): the old version's 500s during the shift never roll it back."
  }
  assert {
    condition = alltrue([
      for key, alarm in aws_cloudwatch_metric_alarm.release : endswith(key, "/latency-p95") ? (alarm.extended_statistic == "p95" && alarm.threshold == 300 && alarm.metric_name == "Duration" && alarm.evaluate_low_sample_count_percentiles == "ignore") : (alarm.statistic == "Sum" && alarm.threshold == 0)
    ])
    error_message = "Latency alarms on p95 over 300 ms, judged only on enough samples (evaluate_low_sample_count_percentiles = ignore); error alarms on any error."
  }
  assert {
    condition     = contains(local.metric_operations.UnexpectedErrors, "list_products") && local.product_metrics.dimensions == ["Operation", "Environment"]
    error_message = "product_metrics.json still writes UnexpectedErrors per Operation and Environment."
  }
  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.codedeploy.statement : s.actions])) == toset(["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig", "cloudwatch:DescribeAlarms"]) && alltrue(flatten([
      for s in data.aws_iam_policy_document.codedeploy.statement : [for r in s.resources : r != "*"]
    ]))
    error_message = "CodeDeploy's role moves only this stack's aliases and reads only the release alarms."
  }
  assert {
    condition     = toset(one([for s in data.aws_iam_policy_document.codedeploy.statement : s.resources if s.sid == "MoveAliases"])) == toset(concat([for fn in aws_lambda_function.api : fn.arn], [for alias in aws_lambda_alias.live : alias.arn])) && contains(one([for s in data.aws_iam_policy_document.codedeploy.statement : s.resources if s.sid == "MoveAliases"]), "arn:aws:lambda:eu-west-1:111111111111:function:mock")
    error_message = "CodeDeploy reads and moves live on each function's unqualified ARN (Lambda authorizes GetAlias and UpdateAlias there) and the alias ARN (GetProvisionedConcurrencyConfig)."
  }
  assert {
    condition     = contains(one([for s in data.aws_iam_policy_document.codedeploy.statement : s.resources if s.sid == "ReadReleaseAlarms"]), "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:bbws-get-product-dev-release-latency-p95")
    error_message = "CodeDeploy reads the release alarms by their ARNs."
  }
  assert {
    condition     = alltrue([for role in concat(values(aws_iam_role.function), [aws_iam_role.codedeploy]) : role.permissions_boundary == "arn:aws:iam::111111111111:policy/bbws-product-api-boundary-dev"])
    error_message = "Every role of the stack carries the bootstrap's permissions boundary (the deploy role may create none without it)."
  }
  assert {
    condition     = aws_iam_role.codedeploy.name == "bbws-codedeploy-dev-role"
    error_message = "CodeDeploy's role is named like the stack's other roles (bbws-*-<env>-role)."
  }
  assert {
    condition     = output.release.application == "bbws-product-api-dev" && output.release.alias == "live" && output.release.functions.get_product == { function_name = "bbws-get-product-dev", deployment_group = "bbws-get-product-dev", version = "7" }
    error_message = "The release output names what scripts/ops/release.py moves."
  }
}

run "environments_choose_their_shift" {
  command = plan

  variables {
    deployment_config = "CodeDeployDefault.LambdaAllAtOnce"
  }

  assert {
    condition     = alltrue([for group in aws_codedeploy_deployment_group.function : group.deployment_config_name == "CodeDeployDefault.LambdaAllAtOnce"])
    error_message = "dev may shift all at once."
  }
}

run "unknown_deployment_config_is_refused" {
  command = plan

  variables {
    deployment_config = "CodeDeployDefault.AllAtOnce"
  }

  expect_failures = [var.deployment_config]
}

run "prod_without_a_canary_is_refused" {
  command = plan

  variables {
    environment       = "prod"
    deployment_config = "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"
  }

  # The stage's precondition also fails: the infrastructure outputs given above are dev's.
  expect_failures = [var.deployment_config, aws_api_gateway_stage.product_api]
}

# SnapStart per environment, with each environment's value from its tfvars (tests/unit/architecture/
# test_environments.py holds the tfvars to these runs): off in dev, on the published versions in sit and prod.
run "snap_start_off_in_dev" {
  command = plan

  variables {
    snap_start = false
  }

  assert {
    condition     = alltrue([for fn in aws_lambda_function.api : length(fn.snap_start) == 0])
    error_message = "dev: no SnapStart (environments/dev.tfvars snap_start = false): versions initialise on demand."
  }
}

run "snap_start_on_in_sit" {
  command = plan

  variables {
    environment       = "sit"
    deployment_config = "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"
    snap_start        = true
  }

  override_data {
    target = data.terraform_remote_state.infrastructure
    values = {
      outputs = {
        environment                    = "sit"
        api_gateway_id                 = "a1b2c3"
        api_gateway_name               = "bbws-product-api-sit"
        api_gateway_execution_arn      = "arn:aws:execute-api:eu-west-1:111111111111:a1b2c3"
        api_gateway_root_resource_id   = "root00"
        api_gateway_configuration_hash = "0000"
        api_gateway_resources = {
          root      = { id = "root00", path = "/" }
          version   = { id = "vers00", path = "/v1.0" }
          products  = { id = "prods0", path = "/v1.0/products" }
          product   = { id = "prod00", path = "/v1.0/products/{productId}" }
          catch_all = { id = "proxy0", path = "/{proxy+}" }
        }
        cors_allowed_origins     = ["*"]
        dynamodb_table_name      = "bbws-products-sit"
        dynamodb_table_arn       = "arn:aws:dynamodb:eu-west-1:111111111111:table/bbws-products-sit"
        dynamodb_index_names     = ["ProductsByPriceIndex", "ProductsByNameIndex"]
        dynamodb_operations      = ["DeleteItem", "GetItem", "PutItem", "Query", "Scan", "TransactWriteItems", "UpdateItem"]
        alarm_topic_arn          = "arn:aws:sns:eu-west-1:111111111111:bbws-product-api-alarms-sit"
        alarm_actions            = ["arn:aws:sns:eu-west-1:111111111111:bbws-product-api-alarms-sit"]
        permissions_boundary_arn = "arn:aws:iam::111111111111:policy/bbws-product-api-boundary-sit"
        secret_arns              = { page-token-key = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:bbws-page-token-key-sit-AbCdEf" }
      }
    }
  }

  assert {
    condition     = alltrue([for fn in aws_lambda_function.api : length(fn.snap_start) == 1 && fn.snap_start[0].apply_on == "PublishedVersions" && fn.publish])
    error_message = "sit: SnapStart on every function's published versions (environments/sit.tfvars snap_start = true)."
  }
}

run "least_privilege_roles" {
  command = apply

  assert {
    condition = jsonencode({
      for name, doc in data.aws_iam_policy_document.function :
      name => sort(flatten([for s in doc.statement : [for a in s.actions : a if startswith(a, "dynamodb:")]]))
      }) == jsonencode({
      list_products  = ["dynamodb:Query", "dynamodb:Scan"]
      get_product    = ["dynamodb:GetItem"]
      create_product = ["dynamodb:GetItem", "dynamodb:PutItem"]
      update_product = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
      delete_product = ["dynamodb:UpdateItem"]
    })
    error_message = "Each role grants exactly the DynamoDB actions its function's code makes."
  }
  assert {
    condition = alltrue(flatten([
      for name, doc in data.aws_iam_policy_document.function : [
        for s in doc.statement : s.resources == toset(["arn:aws:dynamodb:eu-west-1:111111111111:table/bbws-products-dev"]) if s.sid == "ProductsTable"
      ]
    ]))
    error_message = "Table actions apply to this table only."
  }
  assert {
    condition = [
      for s in data.aws_iam_policy_document.function["list_products"].statement : s.resources if s.sid == "ProductsTableIndexes"
      ] == [toset([
        "arn:aws:dynamodb:eu-west-1:111111111111:table/bbws-products-dev/index/ProductsByPriceIndex",
        "arn:aws:dynamodb:eu-west-1:111111111111:table/bbws-products-dev/index/ProductsByNameIndex",
    ])]
    error_message = "list_products queries exactly the two indexes, named."
  }
  assert {
    condition = alltrue(flatten([
      for doc in data.aws_iam_policy_document.function : [
        for s in doc.statement : !anytrue([for a in s.actions : strcontains(a, "*")]) && (!contains(s.resources, "*") || s.sid == "XRayTraces")
      ]
    ]))
    error_message = "No wildcard action anywhere; a '*' resource only for X-Ray, which has no resource-level permissions."
  }
  assert {
    condition     = length(aws_iam_role.function) == 5 && length(distinct([for role in aws_iam_role.function : role.name])) == 5
    error_message = "One role per function."
  }
}

run "routes_authorization_and_api_gateway_answers" {
  command = apply

  assert {
    condition     = { for name, method in aws_api_gateway_method.route : name => [method.http_method, method.resource_id, method.authorization] } == { list_products = ["GET", "prods0", "NONE"], get_product = ["GET", "prod00", "NONE"], create_product = ["POST", "prods0", "AWS_IAM"], update_product = ["PUT", "prod00", "AWS_IAM"], delete_product = ["DELETE", "prod00", "AWS_IAM"] }
    error_message = "Reads are public; writes need AWS_IAM by default; each route on its resource."
  }
  assert {
    condition     = alltrue([for integration in aws_api_gateway_integration.route : integration.type == "AWS_PROXY" && integration.integration_http_method == "POST"])
    error_message = "Routes are Lambda proxy integrations."
  }
  assert {
    condition     = { for key, method in aws_api_gateway_method.mock_answer : key => [method.resource_id, method.http_method, method.authorization] if endswith(key, " OPTIONS") } == { "products OPTIONS" = ["prods0", "OPTIONS", "NONE"], "product OPTIONS" = ["prod00", "OPTIONS", "NONE"] }
    error_message = "OPTIONS exists on both routed resources and needs no credentials."
  }
  assert {
    condition     = { for key, method in aws_api_gateway_method.mock_answer : key => [method.resource_id, method.http_method, method.authorization] if endswith(key, " ANY") } == { "root ANY" = ["root00", "ANY", "NONE"], "version ANY" = ["vers00", "ANY", "NONE"], "products ANY" = ["prods0", "ANY", "NONE"], "product ANY" = ["prod00", "ANY", "NONE"], "catch_all ANY" = ["proxy0", "ANY", "NONE"] }
    error_message = "ANY exists on every resource of the API, the /{proxy+} catch-all included, and needs no credentials."
  }
  assert {
    condition     = toset(keys(aws_api_gateway_method.mock_answer)) == toset(["catch_all ANY", "product ANY", "product OPTIONS", "products ANY", "products OPTIONS", "root ANY", "version ANY"])
    error_message = "API Gateway answers itself only the preflights and ANY: no other method is MOCKed."
  }
  assert {
    condition     = alltrue([for integration in aws_api_gateway_integration.mock_answer : integration.type == "MOCK"])
    error_message = "Preflight, 405 and 404 are answered by API Gateway (MOCK)."
  }
  assert {
    condition     = { for key, integration in aws_api_gateway_integration.mock_answer : key => jsondecode(integration.request_templates["application/json"]).statusCode } == { "root ANY" = 404, "version ANY" = 404, "products ANY" = 405, "product ANY" = 405, "catch_all ANY" = 404, "products OPTIONS" = 204, "product OPTIONS" = 204 }
    error_message = "The MOCK integrations answer preflights 204, ANY 405 on routed resources and 404 on all others."
  }
  assert {
    condition     = { for key, response in aws_api_gateway_integration_response.mock_answer : key => "${response.status_code} ${lookup(response.response_parameters, "method.response.header.Allow", "(no Allow)")}" if endswith(key, " ANY") } == { "root ANY" = "404 (no Allow)", "version ANY" = "404 (no Allow)", "products ANY" = "405 'GET,POST,OPTIONS'", "product ANY" = "405 'DELETE,GET,PUT,OPTIONS'", "catch_all ANY" = "404 (no Allow)" }
    error_message = "Other methods get 405 with the resource's Allow list; unknown paths get 404 without one."
  }
  assert {
    condition     = { for key, response in aws_api_gateway_integration_response.mock_answer : key => jsondecode(regex("\\{\"error\".*\\}$", response.response_templates["application/json"])) if endswith(key, " ANY") } == { for key, error in { "root ANY" = "Not Found", "version ANY" = "Not Found", "products ANY" = "Method Not Allowed", "product ANY" = "Method Not Allowed", "catch_all ANY" = "Not Found" } : key => { error = error, message = error == "Not Found" ? "No resource at $unknownPath; the API serves /v1.0/products." : "This resource answers ${key == "products ANY" ? "GET,POST,OPTIONS" : "DELETE,GET,PUT,OPTIONS"} only.", requestId = "$context.requestId" } }
    error_message = "The 405 and 404 bodies are the JSON error envelope, with the local server's 404 message."
  }
  assert {
    condition     = strcontains(aws_api_gateway_integration_response.mock_answer["catch_all ANY"].response_templates["application/json"], "#set($unknownPath = $util.escapeJavaScript(\"/$input.params('proxy')\")") && strcontains(aws_api_gateway_integration_response.mock_answer["version ANY"].response_templates["application/json"], "#set($unknownPath = $util.escapeJavaScript(\"/v1.0\")")
    error_message = "The 404 message names the path asked for: the proxy part on the catch-all, the resource's own path elsewhere."
  }
  assert {
    condition = alltrue([
      for response in aws_api_gateway_integration_response.mock_answer :
      response.response_parameters["method.response.header.X-Request-Id"] == "context.requestId" && response.response_parameters["method.response.header.Vary"] == "'Origin'"
    ])
    error_message = "Preflight, 405 and 404 answers carry X-Request-Id from context.requestId (and Vary: Origin)."
  }
  assert {
    condition = alltrue([
      for response in aws_api_gateway_method_response.mock_answer :
      response.response_parameters["method.response.header.X-Request-Id"] && !response.response_parameters["method.response.header.Access-Control-Allow-Origin"]
    ])
    error_message = "Method responses declare X-Request-Id (required) and Access-Control-Allow-Origin (optional: set only for allowed origins)."
  }
  assert {
    condition     = aws_api_gateway_integration_response.mock_answer["product OPTIONS"].response_parameters["method.response.header.Access-Control-Allow-Methods"] == "'DELETE,GET,PUT,OPTIONS'"
    error_message = "Preflight lists the resource's methods."
  }
  assert {
    condition     = length(aws_api_gateway_authorizer.cognito) == 0
    error_message = "No Cognito authorizer unless asked for."
  }
}

run "stage_throttling_logs_and_alarms" {
  command = apply

  assert {
    condition     = aws_api_gateway_stage.product_api.stage_name == "dev" && aws_api_gateway_stage.product_api.xray_tracing_enabled
    error_message = "Stage is named after the environment, with X-Ray."
  }
  assert {
    condition     = jsondecode(aws_api_gateway_stage.product_api.access_log_settings[0].format).requestId == "$context.requestId"
    error_message = "Access logs are JSON with the request id."
  }
  assert {
    condition     = aws_api_gateway_method_settings.all.method_path == "*/*" && aws_api_gateway_method_settings.all.settings[0].throttling_rate_limit == 100
    error_message = "The stage accepts 100 requests per second."
  }
  assert {
    condition     = { for name, s in aws_api_gateway_method_settings.write : s.method_path => s.settings[0].throttling_rate_limit } == { "v1.0/products/POST" = 50, "v1.0/products/{productId}/PUT" = 50, "v1.0/products/{productId}/DELETE" = 50 }
    error_message = "Write methods accept 50 requests per second each."
  }
  assert {
    condition     = { for key, alarm in aws_cloudwatch_metric_alarm.function_alarms : key => [alarm.metric_name, alarm.alarm_name, alarm.dimensions.FunctionName] } == merge([for name in keys(local.functions) : { "${name}/Errors" = ["Errors", "bbws-${replace(name, "_", "-")}-dev-errors", "bbws-${replace(name, "_", "-")}-dev"], "${name}/Throttles" = ["Throttles", "bbws-${replace(name, "_", "-")}-dev-throttles", "bbws-${replace(name, "_", "-")}-dev"] }]...)
    error_message = "Errors and throttles alarms for every function, named <function>-errors and <function>-throttles."
  }
  assert {
    condition     = [aws_cloudwatch_metric_alarm.function_alarms["get_product/Errors"].alarm_description, aws_cloudwatch_metric_alarm.function_alarms["get_product/Throttles"].alarm_description] == ["bbws-get-product-dev ended invocations with an unhandled error.", "Invocations of bbws-get-product-dev were throttled (concurrency exhausted)."]
    error_message = "Function alarm descriptions name the function and what went wrong."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.api_latency_p95.extended_statistic == "p95" && aws_cloudwatch_metric_alarm.api_latency_p95.threshold == 300
    error_message = "Latency alarm on p95 over 300 ms."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.api_error_rate["4xx"].metric_name == "4XXError" && aws_cloudwatch_metric_alarm.api_error_rate["5xx"].metric_name == "5XXError"
    error_message = "4xx and 5xx rate alarms."
  }
  assert {
    condition = alltrue([
      for alarm in concat(values(aws_cloudwatch_metric_alarm.function_alarms), values(aws_cloudwatch_metric_alarm.api_error_rate), [aws_cloudwatch_metric_alarm.api_latency_p95], values(aws_cloudwatch_metric_alarm.unexpected_errors), values(aws_cloudwatch_metric_alarm.unavailable), [aws_cloudwatch_metric_alarm.canary]) :
      alarm.alarm_actions == toset(["arn:aws:sns:eu-west-1:111111111111:bbws-product-api-alarms-dev"]) && alarm.ok_actions == alarm.alarm_actions
    ])
    error_message = "Every alarm notifies the environment's alarm topic (the infrastructure stack's alarm_actions) on ALARM and on OK."
  }
  assert {
    condition = jsonencode({ for name, alarm in aws_cloudwatch_metric_alarm.unexpected_errors : name => [alarm.alarm_name, alarm.namespace, alarm.metric_name, alarm.dimensions, alarm.statistic, alarm.period, alarm.threshold, alarm.comparison_operator] }) == jsonencode({
      for name in keys(local.functions) : name => ["bbws-${replace(name, "_", "-")}-dev-unexpected-errors", "BBWS/ProductApi", "UnexpectedErrors", { Environment = "dev", Operation = name }, "Sum", 300, 0, "GreaterThanThreshold"]
    })
    error_message = "Each operation alarms on any UnexpectedErrors (the handler's own 500s) in five minutes."
  }
  assert {
    condition = alltrue([
      for name, alarm in aws_cloudwatch_metric_alarm.unavailable :
      alarm.alarm_name == "bbws-${replace(name, "_", "-")}-dev-unavailable" && alarm.threshold == 0.01 && alarm.evaluation_periods == 2 && alarm.datapoints_to_alarm == 2 &&
      { for q in alarm.metric_query : q.id => length(q.metric) == 0 ? q.expression : "${q.metric[0].stat} ${q.metric[0].metric_name} ${jsonencode(q.metric[0].dimensions)}" } == merge({
        rate        = name == "get_product" || name == "list_products" ? "IF(requests > 0, unavailable / requests, 0)" : "IF(requests > 0, (unavailable + FILL(unknown, 0)) / requests, 0)"
        unavailable = "Sum Unavailable ${jsonencode({ Environment = "dev", Operation = name })}"
        requests    = "SampleCount Latency ${jsonencode({ Environment = "dev", Operation = name })}"
        }, name == "get_product" || name == "list_products" ? {} : {
        unknown = "Sum OutcomeUnknown ${jsonencode({ Environment = "dev", Operation = name })}"
      })
    ])
    error_message = "Each operation alarms when more than 1% of its requests answered 503 (Unavailable, and for writes OutcomeUnknown, over the request count), two periods in a row."
  }
  assert {
    condition     = alltrue([for metric in ["UnexpectedErrors", "Unavailable", "Latency"] : toset(local.metric_operations[metric]) == toset(keys(local.functions))])
    error_message = "The handler alarms' metrics are written by every operation (product_metrics.json)."
  }
}

run "canary_probes_the_stage_from_outside" {
  command = apply

  assert {
    condition     = aws_synthetics_canary.products.name == "bbws-api-canary-dev" && length(aws_synthetics_canary.products.name) <= 21 && aws_synthetics_canary.products.schedule[0].expression == "rate(5 minutes)" && aws_synthetics_canary.products.start_canary
    error_message = "One canary per environment (Synthetics allows 21 characters), started, running every five minutes."
  }
  assert {
    condition     = startswith(aws_synthetics_canary.products.runtime_version, "syn-python-") && aws_synthetics_canary.products.handler == "product_canary.handler" && endswith(aws_synthetics_canary.products.zip_file, "/canary.zip")
    error_message = "The canary runs scripts/ops/product_canary.py (canary.zip from the package script) on a Python runtime."
  }
  assert {
    condition     = aws_synthetics_canary.products.run_config[0].environment_variables.PRODUCTS_URL == "${aws_api_gateway_stage.product_api.invoke_url}/v1.0/products" && length(aws_synthetics_canary.products.run_config[0].environment_variables) == 1
    error_message = "The canary reads this stage's products URL, from outside."
  }
  assert {
    condition     = aws_synthetics_canary.products.artifact_s3_location == "s3://bbws-product-api-canary-dev-111111111111/" && aws_synthetics_canary.products.execution_role_arn == aws_iam_role.canary.arn
    error_message = "Run reports go to the canary's own bucket; the canary runs with its own role."
  }
  assert {
    condition     = alltrue([aws_s3_bucket_public_access_block.canary_artifacts.block_public_acls, aws_s3_bucket_public_access_block.canary_artifacts.block_public_policy, aws_s3_bucket_public_access_block.canary_artifacts.ignore_public_acls, aws_s3_bucket_public_access_block.canary_artifacts.restrict_public_buckets]) && aws_s3_bucket_lifecycle_configuration.canary_artifacts.rule[0].expiration[0].days == 30
    error_message = "The run reports bucket is private and forgets reports after 30 days."
  }
  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.canary.statement :
      !anytrue([for a in s.actions : strcontains(a, "*")]) && (!contains(s.resources, "*") || contains(["FindBuckets", "CanaryMetrics", "Traces"], s.sid))
    ])
    error_message = "The canary's role: no wildcard action; '*' only for ListAllMyBuckets, PutTraceSegments and PutMetricData (limited to its namespace), which take no resource."
  }
  assert {
    condition     = [aws_cloudwatch_metric_alarm.canary.alarm_name, aws_cloudwatch_metric_alarm.canary.namespace, aws_cloudwatch_metric_alarm.canary.metric_name, aws_cloudwatch_metric_alarm.canary.dimensions.CanaryName, aws_cloudwatch_metric_alarm.canary.comparison_operator, aws_cloudwatch_metric_alarm.canary.threshold, aws_cloudwatch_metric_alarm.canary.treat_missing_data] == ["bbws-product-api-dev-canary", "CloudWatchSynthetics", "SuccessPercent", "bbws-api-canary-dev", "LessThanThreshold", 100, "breaching"]
    error_message = "The canary alarm fires when runs fail (SuccessPercent under 100) or stop (missing data breaches)."
  }
}

run "prod_reserves_concurrency" {
  command = apply

  # As environments/prod.tfvars declares: 5 x 100 reserved leaves 500 of the 1000 quota unreserved; SnapStart on.
  variables {
    environment               = "prod"
    reserved_concurrency      = 100
    account_concurrency_limit = 1000
    snap_start                = true
  }

  override_data {
    target = data.terraform_remote_state.infrastructure
    values = {
      outputs = {
        environment                    = "prod"
        api_gateway_id                 = "a1b2c3"
        api_gateway_name               = "bbws-product-api-prod"
        api_gateway_execution_arn      = "arn:aws:execute-api:eu-west-1:111111111111:a1b2c3"
        api_gateway_root_resource_id   = "root00"
        api_gateway_configuration_hash = "0000"
        api_gateway_resources = {
          root      = { id = "root00", path = "/" }
          version   = { id = "vers00", path = "/v1.0" }
          products  = { id = "prods0", path = "/v1.0/products" }
          product   = { id = "prod00", path = "/v1.0/products/{productId}" }
          catch_all = { id = "proxy0", path = "/{proxy+}" }
        }
        cors_allowed_origins     = ["https://portal.bbws.co.za", "https://admin.bbws.co.za"]
        dynamodb_table_name      = "bbws-products-prod"
        dynamodb_table_arn       = "arn:aws:dynamodb:eu-west-1:111111111111:table/bbws-products-prod"
        dynamodb_index_names     = ["ProductsByPriceIndex", "ProductsByNameIndex"]
        dynamodb_operations      = ["DeleteItem", "GetItem", "PutItem", "Query", "Scan", "TransactWriteItems", "UpdateItem"]
        alarm_topic_arn          = "arn:aws:sns:eu-west-1:111111111111:bbws-product-api-alarms-prod"
        alarm_actions            = ["arn:aws:sns:eu-west-1:111111111111:bbws-product-api-alarms-prod", "arn:aws:sns:eu-west-1:111111111111:chat-channel"]
        permissions_boundary_arn = "arn:aws:iam::111111111111:policy/bbws-product-api-boundary-prod"
        secret_arns              = { page-token-key = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:bbws-page-token-key-prod-AbCdEf" }
      }
    }
  }

  assert {
    condition     = alltrue([for fn in aws_lambda_function.api : fn.reserved_concurrent_executions == 100 && endswith(fn.function_name, "-prod")])
    error_message = "prod reserves 100 concurrent executions per function."
  }
  assert {
    condition     = aws_lambda_function.api["list_products"].environment[0].variables["ALLOWED_ORIGINS"] == "https://portal.bbws.co.za,https://admin.bbws.co.za"
    error_message = "Functions get the environment's origins, comma-separated."
  }
  assert {
    condition     = aws_api_gateway_stage.product_api.stage_name == "prod"
    error_message = "prod stage is named prod."
  }
  assert {
    condition     = alltrue([for fn in aws_lambda_function.api : length(fn.snap_start) == 1 && fn.snap_start[0].apply_on == "PublishedVersions" && fn.publish])
    error_message = "prod: SnapStart on every function's published versions (environments/prod.tfvars snap_start = true)."
  }
}

run "reservations_the_account_cannot_hold_are_refused" {
  command = plan

  # 5 functions x 200 leaves none of the default 1000 unreserved; Lambda keeps at least 100.
  variables {
    reserved_concurrency = 200
  }

  expect_failures = [var.reserved_concurrency]
}

run "prod_reservations_need_a_declared_quota_of_600" {
  command = plan

  variables {
    reserved_concurrency      = 100
    account_concurrency_limit = 599
  }

  expect_failures = [var.reserved_concurrency]
}

run "cognito_authorizes_writes_when_chosen" {
  command = apply

  variables {
    write_authorization    = "COGNITO_USER_POOLS"
    cognito_user_pool_arns = ["arn:aws:cognito-idp:eu-west-1:111111111111:userpool/eu-west-1_example"]
  }

  assert {
    condition     = length(aws_api_gateway_authorizer.cognito) == 1
    error_message = "A Cognito authorizer exists when chosen."
  }
  assert {
    condition     = { for name, method in aws_api_gateway_method.route : name => method.authorization } == { list_products = "NONE", get_product = "NONE", create_product = "COGNITO_USER_POOLS", update_product = "COGNITO_USER_POOLS", delete_product = "COGNITO_USER_POOLS" }
    error_message = "Writes use the Cognito authorizer; reads stay public."
  }
  assert {
    condition     = alltrue([for name, method in aws_api_gateway_method.route : method.authorizer_id == (method.http_method == "GET" ? null : aws_api_gateway_authorizer.cognito[0].id)])
    error_message = "Write methods point at the authorizer."
  }
}

run "infrastructure_of_another_environment_is_refused" {
  command = plan

  variables {
    environment = "sit"
  }

  expect_failures = [aws_api_gateway_stage.product_api]
}

run "cognito_without_user_pools_is_refused" {
  command = plan

  variables {
    write_authorization = "COGNITO_USER_POOLS"
  }

  expect_failures = [var.cognito_user_pool_arns]
}

# Every dashboard widget and saved query names only what the stacks create: these functions, this API and
# stage (and its routes), this table and its indexes, the metrics of product_metrics.json for the operations
# that write them, and these log groups.
run "dashboard_and_queries_refer_to_what_the_stacks_create" {
  command = apply

  assert {
    condition     = aws_cloudwatch_dashboard.product_api.dashboard_name == "bbws-product-api-dev"
    error_message = "One dashboard per environment, named after the API."
  }
  assert {
    condition = alltrue([
      for line in local.dashboard_lines : contains(["AWS/ApiGateway", "AWS/Lambda", "AWS/DynamoDB", "BBWS/ProductApi"], line.namespace)
    ])
    error_message = "Dashboard metrics come from API Gateway, Lambda, DynamoDB or the functions' own namespace only."
  }
  assert {
    condition = alltrue([
      for line in local.dashboard_lines : line.dimensions.ApiName == "bbws-product-api-dev" && line.dimensions.Stage == "dev" && contains(
        concat([" "], [for fn in local.functions : "${fn.method} ${local.infrastructure.api_gateway_resources[fn.resource].path}"]),
        "${lookup(line.dimensions, "Method", "")} ${lookup(line.dimensions, "Resource", "")}",
      ) if line.namespace == "AWS/ApiGateway"
    ])
    error_message = "API Gateway panels name this API, this stage and only routes the stack creates."
  }
  assert {
    condition = alltrue([
      for line in local.dashboard_lines : contains([for fn in aws_lambda_function.api : fn.function_name], line.dimensions.FunctionName) if line.namespace == "AWS/Lambda"
    ])
    error_message = "Lambda panels name only the stack's functions."
  }
  assert {
    condition = alltrue([
      for line in local.dashboard_lines : line.dimensions.TableName == "bbws-products-dev" && contains(["ProductsByPriceIndex", "ProductsByNameIndex"], lookup(line.dimensions, "GlobalSecondaryIndexName", "ProductsByPriceIndex")) if line.namespace == "AWS/DynamoDB"
    ])
    error_message = "DynamoDB panels name this table and its indexes."
  }
  assert {
    condition = alltrue([
      for line in local.dashboard_lines : line.dimensions.Environment == "dev" && contains(keys(local.functions), line.dimensions.Operation) && contains(keys(local.product_metrics.metrics), line.metric) && contains(local.metric_operations[line.metric], line.dimensions.Operation) && join(",", sort(keys(line.dimensions))) == "Environment,Operation" if line.namespace == "BBWS/ProductApi"
    ])
    error_message = "Business panels show metrics of product_metrics.json, for this environment and the stack's operations that write them."
  }
  assert {
    condition = sort(distinct([for line in local.dashboard_lines : "${line.metric}/${line.dimensions.Operation}" if line.namespace == "BBWS/ProductApi"])) == sort(flatten([
      for name, operations in local.metric_operations : [for operation in operations : "${name}/${operation}"]
    ]))
    error_message = "Every metric the functions write (per operation) has a line on the dashboard."
  }
  assert {
    condition = alltrue(flatten([
      for widget in jsondecode(aws_cloudwatch_dashboard.product_api.dashboard_body).widgets : [
        for source in regexall("SOURCE '([^']+)'", widget.properties.query) : contains(local.all_log_groups, source[0])
      ] if widget.type == "log"
    ]))
    error_message = "Log panels read only the stack's log groups."
  }
  assert {
    condition = {
      for widget in jsondecode(aws_cloudwatch_dashboard.product_api.dashboard_body).widgets :
      regex("\\(([a-z_]+)\\)$", widget.properties.title)[0] => [for a in widget.properties.annotations.horizontal : a.value]
      if startswith(widget.properties.title, "API latency ") && can(regex("\\(([a-z_]+)\\)$", widget.properties.title))
      } == {
      get_product    = [100, 300]
      list_products  = [200, 300]
      create_product = [250, 300]
      update_product = [250, 300]
      delete_product = [150, 300]
    }
    error_message = "Each operation's latency panel shows its target (get 100, list 200, create/update 250, delete 150 ms) and the 300 ms for all."
  }
  assert {
    condition     = sort([for line in local.dashboard_lines : line.dimensions.Operation if line.metric == "SystemErrors"]) == sort(local.infrastructure.dynamodb_operations)
    error_message = "The dashboard shows SystemErrors of every operation the functions may call (the infrastructure stack's dynamodb_operations)."
  }
  assert {
    condition     = toset([for line in local.dashboard_lines : "${line.metric} ${lookup(line.dimensions, "GlobalSecondaryIndexName", "table")}" if endswith(line.metric, "ThrottleEvents")]) == toset([for pair in setproduct(["ReadThrottleEvents", "WriteThrottleEvents"], ["table", "ProductsByPriceIndex", "ProductsByNameIndex"]) : join(" ", pair)])
    error_message = "The dashboard shows read and write throttle events of the table and of each index."
  }
  assert {
    condition     = toset(keys(aws_cloudwatch_query_definition.saved)) == toset(["4xx-by-error-and-operation", "5xx-by-operation", "cold-starts-by-function", "request-by-x-request-id", "slowest-requests"])
    error_message = "Saved queries: one request by X-Request-Id, slowest requests, 5xx by operation, 4xx by error and operation, cold starts by function."
  }
  assert {
    condition = alltrue(flatten([
      for query in aws_cloudwatch_query_definition.saved : [for group in query.log_group_names : contains(local.all_log_groups, group)]
    ]))
    error_message = "Saved queries read only the stack's log groups."
  }
  assert {
    condition     = toset(aws_cloudwatch_query_definition.saved["request-by-x-request-id"].log_group_names) == toset(concat(["/aws/apigateway/bbws-product-api-dev/access"], [for name in keys(local.functions) : "/aws/lambda/bbws-${replace(name, "_", "-")}-dev"]))
    error_message = "The request query reads the access log and every function's log."
  }
  assert {
    condition     = strcontains(aws_cloudwatch_query_definition.saved["request-by-x-request-id"].query_string, "filter requestId = ") && jsondecode(aws_api_gateway_stage.product_api.access_log_settings[0].format).requestId == "$context.requestId"
    error_message = "The request query filters on requestId, which the access log fills with $context.requestId (the X-Request-Id)."
  }
}
