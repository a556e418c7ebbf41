namespace Dfid.Analysis;

/// <summary>Turns a probe table into <see cref="AnalysisResults"/>: pure, deterministic given the rows and the seed.</summary>
public static class DecisionFidelityAnalysis
{
    /// <summary>Analyses every condition of the probe table.</summary>
    /// <param name="rows">The probe table (all conditions).</param>
    /// <param name="options">Resampling and family options; null for the defaults.</param>
    /// <returns>The results tree (without manifest; the caller adds it).</returns>
    public static AnalysisResults Analyze(IReadOnlyList<ProbeRow> rows, AnalysisOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        options ??= new AnalysisOptions();
        options.Validate();
        throw new NotImplementedException();
    }
}
