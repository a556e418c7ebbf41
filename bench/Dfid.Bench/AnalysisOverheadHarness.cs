using System.Diagnostics;
using Dfid.Analysis;

namespace Dfid.Bench;

/// <summary>The analysis without resampling (1 draw each): the cost of everything but permutations and bootstraps.</summary>
public sealed class AnalysisOverheadHarness : IHarness
{
    /// <inheritdoc/>
    public string Name => "analysis-overhead";

    /// <inheritdoc/>
    public Task<int> RunAsync(string[] args)
    {
        var rows = SyntheticProbeTable.Generate(new SyntheticSpec(2790, 793, ["persona", "instructed", "backbone"], 0.3,
            WideStages: true, FailureRate: 0.02, HumanLabelRate: 0.1, FullContextRate: 1.0, WithTexts: true));
        var o = new AnalysisOptions { Permutations = 1, BootstrapResamples = 1 };
        DecisionFidelityAnalysis.Analyze(rows, o);
        var sw = Stopwatch.StartNew();
        DecisionFidelityAnalysis.Analyze(rows, o);
        Console.WriteLine($"analysis without resampling: {sw.Elapsed.TotalMilliseconds:0.0} ms");
        return Task.FromResult(0);
    }
}
