locals {
  # Every operation the functions make on the table (TransactWriteItems carries their writes).
  dynamodb_operations = ["GetItem", "Query", "Scan", "TransactWriteItems"]
}

resource "aws_cloudwatch_metric_alarm" "dynamodb_throttles" {
  alarm_name          = "${local.table_name}-throttles"
  alarm_description   = "Reads or writes on ${local.table_name} (or its indexes) were throttled."
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  metric_query {
    id          = "throttles"
    expression  = "reads + writes"
    label       = "Throttled read and write events"
    return_data = true
  }

  metric_query {
    id = "reads"
    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "ReadThrottleEvents"
      period      = 300
      stat        = "Sum"
      dimensions  = { TableName = aws_dynamodb_table.products.name }
    }
  }

  metric_query {
    id = "writes"
    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "WriteThrottleEvents"
      period      = 300
      stat        = "Sum"
      dimensions  = { TableName = aws_dynamodb_table.products.name }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "dynamodb_system_errors" {
  alarm_name          = "${local.table_name}-system-errors"
  alarm_description   = "DynamoDB answered requests on ${local.table_name} with server-side errors."
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  metric_query {
    id          = "errors"
    expression  = "SUM(METRICS())"
    label       = "System errors, all operations"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = local.dynamodb_operations
    content {
      id = lower(metric_query.value)
      metric {
        namespace   = "AWS/DynamoDB"
        metric_name = "SystemErrors"
        period      = 300
        stat        = "Sum"
        dimensions  = { TableName = aws_dynamodb_table.products.name, Operation = metric_query.value }
      }
    }
  }
}
