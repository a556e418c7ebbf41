namespace Dfid.Willingness;

/// <summary>Settings of the willingness model (protocol, "Closing the gap").</summary>
public sealed class WillingnessOptions
{
    /// <summary>Folder of trained willingness models (one JSON file per training hash).</summary>
    /// <value>The default is <see cref="CacheDirectoryIn"/> of the default cache folder.</value>
    public string CacheDirectory { get; set; } = CacheDirectoryIn(Dfid.CacheFolder.Default());

    /// <summary>Cross-fitting folds, grouped by conversation (at least 2): the model that serves a training conversation
    /// was fitted on the other folds only.</summary>
    /// <value>The default is 5.</value>
    public int Folds { get; set; } = 5;

    /// <summary>L2 penalty on the weights (biases are free), per unit of average log loss.</summary>
    /// <value>The default is 0.003: on PersuasionForGood it gave the best out-of-fold log loss of P(converted) among
    /// 0.0003, 0.001, 0.003, 0.01 and 0.03 (chosen once, offline; it is not tuned per run, so no served conversation's
    /// outcome reaches it).</value>
    public double L2 { get; set; } = 3e-3;

    /// <summary>Maximum L-BFGS iterations per model (each fold and the full model, for the outcome and the hazard).</summary>
    /// <value>The default is 150.</value>
    public int MaxIterations { get; set; } = 150;

    /// <summary>Retrain even when a model with the same training hash is cached.</summary>
    public bool ForceRetrain { get; set; }

    /// <summary>Clock of the training time stamp.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Receives progress lines (training, cache hits); null for silence.</summary>
    public IProgress<string>? Progress { get; set; }

    /// <summary>Where trained willingness models live under a cache folder (<c>ROOT/willingness</c>).</summary>
    public static string CacheDirectoryIn(string cacheFolder)
    {
        ArgumentNullException.ThrowIfNull(cacheFolder);
        return Path.Combine(cacheFolder, "willingness");
    }

    internal void Validate()
    {
        var errors = new List<string>();
        if (Folds < 2) errors.Add($"Folds must be at least 2 (got {Folds})");
        if (L2 < 0 || double.IsNaN(L2)) errors.Add($"L2 must be >= 0 (got {L2})");
        if (MaxIterations < 1) errors.Add($"MaxIterations must be at least 1 (got {MaxIterations})");
        if (string.IsNullOrWhiteSpace(CacheDirectory)) errors.Add("CacheDirectory is empty");
        ArgumentNullException.ThrowIfNull(Clock);
        if (errors.Count > 0) throw new DfidException("willingness options: " + string.Join("; ", errors) + ".", 2);
    }
}
