using Microsoft.AspNetCore.Connections;

namespace CloudSecReq.Gateway.S3;

/// <summary>
/// The request body as Kestrel delivers it, installed by the dispatcher in front of every handler.
/// It turns the client's framing faults into S3 errors, so they never read as our own failures (500):
/// HTTP chunk sizes that overflow or are not hex, a bad chunk end → <c>InvalidRequest</c> 400; a body
/// that ends before its Content-Length → <c>IncompleteBody</c> 400 (the code AWS documents for a short
/// body, and MinIO's mapping of its IncompleteBody error). No AWS code names broken chunk framing;
/// InvalidRequest is its code for a malformed request. A transport that fails under the body (a reset, a TLS stream cut mid-record) is
/// rethrown as is and noted in <see cref="ClientWentAway"/>, so that the dispatcher logs it as an abort.
/// It also notes whether the body was read to its end (<see cref="ReachedEnd"/>): a response to a
/// request whose body was not read must close the connection, or the unread bytes (or, after
/// <c>Expect: 100-continue</c>, the client's next request) would be taken for the next request.
/// Reads are sequential, as on any request body; not thread-safe.
/// </summary>
internal sealed class ClientBodyStream(Stream inner) : Stream
{
    /// <summary>A read returned 0: the whole body, as framed, was consumed.</summary>
    public bool ReachedEnd { get; private set; }

    /// <summary>The body ended early or its transport failed: the client stopped sending.</summary>
    public bool ClientWentAway { get; private set; }

    /// <summary>Bytes of the body delivered so far (as framed on the wire, before aws-chunked decoding).</summary>
    public long BytesRead { get; private set; }

    /// <summary>The request declared a body that was not read to its end.</summary>
    public static bool LeftUnread(HttpRequest request) =>
        (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        && request.Body is not ClientBodyStream { ReachedEnd: true };

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken ct = default)
    {
        int n;
        try
        {
            n = await inner.ReadAsync(destination, ct);
        }
        catch (BadHttpRequestException e) when (e.Message.StartsWith("Unexpected end of request content", StringComparison.Ordinal))
        {
            ClientWentAway = true;
            throw new S3Exception(S3ErrorCode.IncompleteBody, S3ErrorTable.Get(S3ErrorCode.IncompleteBody).Message, e);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status408RequestTimeout)
        {
            // The body came slower than Kestrel's MinRequestBodyDataRate (GatewayHost): AWS's RequestTimeout.
            ClientWentAway = true;
            throw new S3Exception(S3ErrorCode.RequestTimeout, S3ErrorTable.Get(S3ErrorCode.RequestTimeout).Message, e);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own refusals of HTTP/1.1 chunked framing (a bad chunk prefix, extension or end).
            throw new S3Exception(S3ErrorCode.InvalidRequest, "The request body's chunked transfer encoding is malformed.", e);
        }
        catch (IOException e) when (e.InnerException is OverflowException or FormatException)
        {
            // Kestrel reports a chunk size beyond int as IOException("Bad chunk size data.") wrapping an OverflowException.
            throw new S3Exception(S3ErrorCode.InvalidRequest, "The request body's chunked transfer encoding has an invalid chunk size.", e);
        }
        catch (IOException)
        {
            // ConnectionResetException, or SslStream's "unexpected EOF" when the connection is cut mid-record.
            ClientWentAway = true;
            throw;
        }
        catch (ConnectionAbortedException)
        {
            ClientWentAway = true;
            throw;
        }
        if (n == 0 && destination.Length > 0)
        {
            ReachedEnd = true;
        }
        BytesRead += n;
        return n;
    }
}
