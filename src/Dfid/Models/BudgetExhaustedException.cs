namespace Dfid.Models;

/// <summary>
/// Thrown before a request that would exceed <see cref="ModelLayerOptions.MaxCostUsd"/> or
/// <see cref="ModelLayerOptions.MaxCalls"/>; nothing is sent. The run stops scheduling and reports how far it got.
/// </summary>
public sealed class BudgetExhaustedException : DfidException
{
    /// <summary>Creates the error.</summary>
    /// <param name="message">Which cap, how much was spent.</param>
    /// <param name="usage">Usage at the moment the cap was hit.</param>
    public BudgetExhaustedException(string message, UsageReport usage) : base(message, 1) => Usage = usage;

    /// <summary>Usage when the cap was reached.</summary>
    public UsageReport Usage { get; }
}
