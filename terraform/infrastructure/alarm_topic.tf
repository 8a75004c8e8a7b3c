# The alarm topic: every alarm of both stacks notifies it on ALARM and on OK, and it passes the message on to
# the environment's subscribers (alarm_subscriptions) and to any existing topics named in alarm_forward_topics.
data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  alarm_topic_name = "bbws-product-api-alarms-${var.environment}"
  account_id       = data.aws_caller_identity.current.account_id
  # Alarms of this account and region: the only publishers the topic and its key accept.
  alarm_arns = "arn:${data.aws_partition.current.partition}:cloudwatch:${data.aws_region.current.name}:${local.account_id}:alarm:*"
  # What every alarm of both stacks notifies (the Lambda stack reads it from the outputs).
  alarm_actions = concat([aws_sns_topic.alarms.arn], var.alarm_forward_topics)
  # What an apply does to the key (as the deploy role's AlarmTopicKey grant in terraform/bootstrap/roles.tf).
  deploy_role_key_actions = [
    "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags", "kms:PutKeyPolicy",
    "kms:EnableKeyRotation", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateKeyDescription",
  ]
}

# SNS encrypts with this key; CloudWatch must be allowed to use it, which the AWS managed SNS key never allows.
resource "aws_kms_key" "alarms" {
  description             = "Encrypts the BBWS product API alarm topic (${var.environment})."
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.alarm_key.json
}

data "aws_iam_policy_document" "alarm_key" {
  # checkov:skip=CKV_AWS_109:A key policy must let the account administer the key, or the key becomes unmanageable.
  # checkov:skip=CKV_AWS_111:Same: the account's own IAM policies decide who may change the key.
  # checkov:skip=CKV_AWS_356:In a key policy "*" means this key only.
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root"]
    }
  }

  # The environment's deploy role manages the key by this policy, not only by its IAM policy, whose grants on
  # existing keys depend on the key's tags: KMS can take minutes to apply tag-based authorization to a new key,
  # and the provider calls EnableKeyRotation (then reads the key back) right after CreateKey.
  statement {
    sid       = "DeployRoleManages"
    actions   = local.deploy_role_key_actions
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.deploy_role_arn]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsEncrypt"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sns_topic" "alarms" {
  name              = local.alarm_topic_name
  display_name      = "BBWS product API alarms (${var.environment})"
  kms_master_key_id = aws_kms_key.alarms.arn
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarm_topic.json
}

# Only CloudWatch alarms of this account publish; nobody else, not even the account's own users.
data "aws_iam_policy_document" "alarm_topic" {
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.alarm_arns]
    }
  }

  statement {
    sid       = "NoOtherPublisher"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    # IfExists: a caller that is no AWS service (a user, a role) has no service name and is refused too.
    condition {
      test     = "StringNotEqualsIfExists"
      variable = "aws:PrincipalServiceName"
      values   = ["cloudwatch.amazonaws.com"]
    }
  }
}

resource "aws_sns_topic_subscription" "alarms" {
  for_each = { for subscription in var.alarm_subscriptions : "${subscription.protocol}:${subscription.endpoint}" => subscription }

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = each.value.protocol
  endpoint  = each.value.endpoint
}
