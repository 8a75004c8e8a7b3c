# One state bucket per environment: both stacks' states (infrastructure, lambda) and their lock files.
resource "aws_s3_bucket" "state" {
  for_each = local.state_buckets

  # checkov:skip=CKV_AWS_144:Cross-region replication of a few KB of state is not worth a second bucket and role; versioning already keeps every earlier state.
  # checkov:skip=CKV_AWS_18:Access logging needs a log bucket of its own; CloudTrail data events are the account-level answer if wanted.
  # checkov:skip=CKV2_AWS_62:Nothing consumes events from a state bucket.
  # checkov:skip=CKV_AWS_145:SSE-S3 (AES256) encrypts at rest; a customer managed KMS key adds cost and key-policy upkeep the plan does not ask for.
  bucket        = each.value
  force_destroy = var.state_bucket_force_destroy
}

resource "aws_s3_bucket_ownership_controls" "state" {
  for_each = aws_s3_bucket.state

  bucket = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "state" {
  for_each = aws_s3_bucket.state

  bucket = each.value.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  for_each = aws_s3_bucket.state

  bucket = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  for_each = aws_s3_bucket.state

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# Earlier state versions are the way back from a damaged state; keep them for a while, not forever.
resource "aws_s3_bucket_lifecycle_configuration" "state" {
  for_each = aws_s3_bucket.state

  bucket = each.value.id
  rule {
    id     = "expire-old-state-versions"
    status = "Enabled"
    # Every object (S3 answers an empty filter as an empty prefix; saying so spares the provider's wait).
    filter {
      prefix = ""
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_state_retention_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.state]
}

resource "aws_s3_bucket_policy" "state" {
  for_each = aws_s3_bucket.state

  bucket = each.value.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [each.value.arn, "${each.value.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  # S3 rejects a bucket policy while the public access block is still being applied.
  depends_on = [aws_s3_bucket_public_access_block.state]
}
