namespace CloudSecReq.Gateway.Objects;

/// <summary>How a GET's body read ended, when it did not fail.</summary>
internal enum GetObjectOutcome
{
    /// <summary>Every byte of the range was verified and written.</summary>
    Read,

    /// <summary>
    /// An inline object was replaced between the lookup and the read, and its old copies already
    /// overwritten: nothing of it can be read any more, but the object as it is now can be.
    /// </summary>
    Replaced,
}
