namespace CloudSecReq.Gateway.Auth;

/// <summary>How the request body is protected, from <c>x-amz-content-sha256</c>.</summary>
internal enum PayloadMode
{
    /// <summary>UNSIGNED-PAYLOAD (and presigned URLs): the body is not covered by the signature.</summary>
    Unsigned,
    /// <summary>A hex SHA-256 of the body, verified when the body has been read.</summary>
    SignedHash,
    /// <summary>aws-chunked with a signature per chunk.</summary>
    StreamingSigned,
    /// <summary>aws-chunked with chunk signatures and signed trailers.</summary>
    StreamingSignedTrailer,
    /// <summary>aws-chunked without signatures, with a checksum trailer.</summary>
    StreamingUnsignedTrailer,
}
