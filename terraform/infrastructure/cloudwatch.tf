locals {
  # Every operation the functions make on the table (TransactWriteItems carries their writes).
  dynamodb_operations = ["GetItem", "Query", "Scan", "TransactWriteItems"]

  # The table's alarms, by name suffix: each adds up some of the table's metrics (metric math, `sum` the
  # expression's id) and fires on any event in five minutes. metrics: query id => metric name and the
  # dimensions it takes besides TableName.
  table_alarms = {
    throttles = {
      description = "Reads or writes on ${local.table_name} (or its indexes) were throttled."
      sum         = { id = "throttles", expression = "reads + writes", label = "Throttled read and write events" }
      metrics = {
        reads  = { name = "ReadThrottleEvents", dimensions = {} }
        writes = { name = "WriteThrottleEvents", dimensions = {} }
      }
    }
    system-errors = {
      description = "DynamoDB answered requests on ${local.table_name} with server-side errors."
      sum         = { id = "errors", expression = "SUM(METRICS())", label = "System errors, all operations" }
      metrics = {
        for operation in local.dynamodb_operations :
        lower(operation) => { name = "SystemErrors", dimensions = { Operation = operation } }
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "table_alarms" {
  for_each = local.table_alarms

  alarm_name          = "${local.table_name}-${each.key}"
  alarm_description   = each.value.description
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  metric_query {
    id          = each.value.sum.id
    expression  = each.value.sum.expression
    label       = each.value.sum.label
    return_data = true
  }

  dynamic "metric_query" {
    for_each = each.value.metrics
    content {
      id = metric_query.key
      metric {
        namespace   = "AWS/DynamoDB"
        metric_name = metric_query.value.name
        period      = 300
        stat        = "Sum"
        dimensions  = merge({ TableName = aws_dynamodb_table.products.name }, metric_query.value.dimensions)
      }
    }
  }
}
