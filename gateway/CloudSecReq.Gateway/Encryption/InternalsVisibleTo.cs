using System.Runtime.CompilerServices;

// bench/CloudSecReq.Gateway.Bench measures SealingStream and SegmentOpener directly.
// TODO(issue #5): move into CloudSecReq.Gateway.csproj beside the other InternalsVisibleTo items.
[assembly: InternalsVisibleTo("CloudSecReq.Gateway.Bench")]
