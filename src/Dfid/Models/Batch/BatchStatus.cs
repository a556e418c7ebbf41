namespace Dfid.Models.Batch;

/// <summary>Where a provider batch is, in OpenAI's words (Anthropic's states map onto them).</summary>
internal enum BatchState
{
    /// <summary>The input is being checked (OpenAI).</summary>
    Validating,

    /// <summary>Requests are being answered.</summary>
    InProgress,

    /// <summary>All requests are done; the result files are being written (OpenAI).</summary>
    Finalizing,

    /// <summary>Ended with every request answered or failed on its own.</summary>
    Completed,

    /// <summary>The batch itself was refused (e.g. the input failed validation); no request ran.</summary>
    Failed,

    /// <summary>The 24-hour window ended first: finished requests have results, the rest are expired items.</summary>
    Expired,

    /// <summary>A cancel was asked; requests in flight are finishing.</summary>
    Cancelling,

    /// <summary>Cancelled: finished requests have results, the rest are cancelled items.</summary>
    Cancelled,
}

/// <summary>How many requests of a batch are in each condition.</summary>
/// <param name="Total">Requests in the batch (0 while OpenAI is still validating).</param>
/// <param name="Completed">Requests answered.</param>
/// <param name="Failed">Requests that failed, expired or were cancelled.</param>
internal sealed record BatchRequestCounts(int Total, int Completed, int Failed)
{
    /// <summary>Requests not finished yet.</summary>
    public int Pending => Math.Max(0, Total - Completed - Failed);
}

/// <summary>A provider batch as last seen.</summary>
/// <param name="BatchId">The provider's batch id.</param>
/// <param name="State">Its state.</param>
/// <param name="Counts">Its request counts.</param>
/// <param name="Error">Why the batch itself failed (OpenAI <c>errors</c>), or null.</param>
/// <remarks>
/// Anthropic's <c>in_progress</c> is <see cref="BatchState.InProgress"/> and <c>canceling</c> is
/// <see cref="BatchState.Cancelling"/>; its <c>ended</c> is <see cref="BatchState.Cancelled"/> when a cancel was asked,
/// <see cref="BatchState.Expired"/> when some requests expired, and <see cref="BatchState.Completed"/> otherwise.
/// </remarks>
internal sealed record BatchStatus(string BatchId, BatchState State, BatchRequestCounts Counts, string? Error = null)
{
    /// <summary>Whether the batch will not change any more (completed, failed, expired or cancelled): its results can be read.</summary>
    public bool IsTerminal => State is BatchState.Completed or BatchState.Failed or BatchState.Expired or BatchState.Cancelled;
}
