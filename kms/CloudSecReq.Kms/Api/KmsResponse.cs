namespace CloudSecReq.Kms.Api;

/// An AWS KMS JSON 1.1 response: the HTTP status and the body (Content-Type application/x-amz-json-1.1).
public readonly record struct KmsResponse(int StatusCode, byte[] Json);
