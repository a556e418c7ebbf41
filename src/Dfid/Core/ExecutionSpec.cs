namespace Dfid.Core;

/// <summary>How a run makes its model calls.</summary>
public enum ExecutionKind
{
    /// <summary>One request per call as the probes run (the default).</summary>
    Online,

    /// <summary>Phase by phase through the providers' batch APIs (OpenAI Batch, Anthropic Message Batches): half price,
    /// answers within the providers' window (24 hours) instead of seconds.</summary>
    Batch,
}

/// <summary>The experiment's <c>execution</c> key: the mode, and for batch execution the batch size and polling.</summary>
/// <param name="Mode">Online or batch.</param>
/// <param name="MaxRequests">At most this many requests per provider batch (null: the provider's limit, 50,000 for OpenAI
/// and 100,000 for Anthropic); smaller batches finish sooner and their answers are stored sooner.</param>
/// <param name="PollSeconds">Seconds before the second status read of a batch (then doubling up to 5 minutes); null: 10 s.</param>
public sealed record ExecutionSpec(ExecutionKind Mode, int? MaxRequests = null, double? PollSeconds = null)
{
    /// <summary>Online execution.</summary>
    public static ExecutionSpec Online { get; } = new(ExecutionKind.Online);

    /// <summary>Batch execution with the provider's limits and the default polling.</summary>
    public static ExecutionSpec Batch { get; } = new(ExecutionKind.Batch);

    /// <summary>The mode as written in experiments: <c>online</c> or <c>batch</c>.</summary>
    public string ModeName => Mode == ExecutionKind.Batch ? "batch" : "online";
}
