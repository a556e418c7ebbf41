namespace Dfid.Instrument;

/// <summary>Settings of the offline learned instrument and action labeller.</summary>
public sealed class LearnedInstrumentOptions
{
    /// <summary>Folder of trained models (one JSON file per training hash).</summary>
    /// <value>The default is <see cref="DefaultCacheDirectory"/>.</value>
    public string CacheDirectory { get; set; } = DefaultCacheDirectory();

    /// <summary>Act mapping that turns human acts into stages and actions.</summary>
    /// <value>The default is <see cref="ActMapping.PersuasionForGood"/>.</value>
    public ActMapping Mapping { get; set; } = ActMapping.PersuasionForGood;

    /// <summary>Cross-fitting folds, grouped by conversation (at least 2).</summary>
    /// <value>The default is 5.</value>
    public int Folds { get; set; } = 5;

    /// <summary>L2 penalty on the dense weights (embeddings, position, cues; the biases are not penalised), per unit of
    /// average loss.</summary>
    /// <value>The default is 0.001.</value>
    public double L2 { get; set; } = 1e-3;

    /// <summary>Maximum L-BFGS iterations per model of the agent-action labeller (the stage model uses
    /// <see cref="StageIterations"/>).</summary>
    /// <value>The default is 300.</value>
    public int MaxIterations { get; set; } = 300;

    /// <summary>
    /// Class weighting: each training turn weighs <c>(n / (classes · n_class))^power</c>. 0 = unweighted, 1 = fully
    /// balanced (rare stages count as much as common ones), 0.5 = in between.
    /// </summary>
    /// <value>The default is 0.5: for the embedding-only model before issue 18 it gave the best out-of-fold κ on
    /// PersuasionForGood (0.623 against 0.612 unweighted and 0.602 balanced). The stage model's decision adds a class
    /// shift on top, chosen by nested cross-validation.</value>
    public double ClassWeightPower { get; set; } = 0.5;

    /// <summary>Stage model: maximum L-BFGS iterations per model (it fits 5 × <see cref="InnerFolds"/> + 6 models).</summary>
    /// <value>The default is 40: on PersuasionForGood the out-of-fold labels and log loss at 40 iterations equal those of
    /// a fit run to convergence (≈ 95 iterations), at 40% of the time.</value>
    public int StageIterations { get; set; } = 40;

    /// <summary>Stage model: inner folds (grouped by conversation) inside each outer fold's training conversations, on
    /// which the temperature, class-weighting shift and deciding threshold are chosen (nested cross-validation).</summary>
    /// <value>The default is 3.</value>
    public int InnerFolds { get; set; } = 3;

    /// <summary>Stage model: L2 penalty on the lexical (n-gram) weights.</summary>
    /// <value>The default is 0.001.</value>
    public double LexicalL2 { get; set; } = 1e-3;

    /// <summary>
    /// Stage model: the largest share of human-<c>resisting</c> turns the inner folds may put at <c>deciding</c>; the
    /// deciding threshold is the smallest that keeps to it. A refusal read as a commitment is the worst error the
    /// depth scale can make (resisting is 0, deciding 4).
    /// </summary>
    /// <value>The default is 0.03.</value>
    public double MaxResistingAtDeciding { get; set; } = 0.03;

    /// <summary>Clock for the models' training time stamps and the training duration in progress lines.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Retrain even when a model with the same training hash is cached.</summary>
    public bool ForceRetrain { get; set; }

    /// <summary>Receives progress lines (training, cache hits); <c>null</c> for silence.</summary>
    public IProgress<string>? Progress { get; set; }

    /// <summary>
    /// <c>$DFID_CACHE_DIR/instruments</c>, else <c>$XDG_CACHE_HOME/dfid/instruments</c>, else <c>~/.cache/dfid/instruments</c>.
    /// </summary>
    public static string DefaultCacheDirectory() => CacheDirectoryIn(CacheFolder.Default());

    /// <summary>The default persistent embeddings cache, beside the instruments folder.</summary>
    public static string DefaultEmbeddingsCachePath() => EmbeddingsCachePathIn(CacheFolder.Default());

    /// <summary>Where trained models live under a cache folder (<c>ROOT/instruments</c>); every command uses this layout.</summary>
    public static string CacheDirectoryIn(string cacheFolder) => Path.Combine(cacheFolder, "instruments");

    /// <summary>Where the persistent embeddings cache lives under a cache folder (<c>ROOT/embeddings.sqlite</c>).</summary>
    public static string EmbeddingsCachePathIn(string cacheFolder) => Path.Combine(cacheFolder, "embeddings.sqlite");

    internal void Validate()
    {
        var errors = new List<string>();
        if (Folds < 2) errors.Add($"Folds must be at least 2 (got {Folds})");
        if (L2 < 0 || double.IsNaN(L2)) errors.Add($"L2 must be >= 0 (got {L2})");
        if (MaxIterations < 1) errors.Add($"MaxIterations must be at least 1 (got {MaxIterations})");
        if (ClassWeightPower is < 0 or > 1 || double.IsNaN(ClassWeightPower)) errors.Add($"ClassWeightPower must be in [0, 1] (got {ClassWeightPower})");
        if (StageIterations < 1) errors.Add($"StageIterations must be at least 1 (got {StageIterations})");
        if (InnerFolds < 2) errors.Add($"InnerFolds must be at least 2 (got {InnerFolds})");
        if (LexicalL2 < 0 || double.IsNaN(LexicalL2)) errors.Add($"LexicalL2 must be >= 0 (got {LexicalL2})");
        if (MaxResistingAtDeciding is < 0 or > 1 || double.IsNaN(MaxResistingAtDeciding))
            errors.Add($"MaxResistingAtDeciding must be in [0, 1] (got {MaxResistingAtDeciding})");
        if (string.IsNullOrWhiteSpace(CacheDirectory)) errors.Add("CacheDirectory is empty");
        ArgumentNullException.ThrowIfNull(Clock);
        ArgumentNullException.ThrowIfNull(Mapping);
        if (errors.Count > 0) throw new DfidException("learned instrument options: " + string.Join("; ", errors) + ".", 2);
    }
}
