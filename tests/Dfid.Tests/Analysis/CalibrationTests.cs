using Dfid.Analysis;

namespace Dfid.Tests.Analysis;

/// <summary>The small calibration, on the primary endpoint through the statistics layer. The full one runs the whole
/// analysis per dataset: bench harness <c>calibration</c> (scripts/calibration/run.sh, figures in docs/performance.md).</summary>
public class CalibrationTests
{
    // 1,000 draws resolve p around 0.05 well enough; 1,000 datasets put the coverage's Monte-Carlo SE near 0.7%.
    [Fact]
    public void PermutationTest_NoOutcomeEffect_RejectsAboutFivePercent()
    {
        var outcome = Calibration.RunPrimary(datasets: 1000, n: 374, converted: 193, plantedDelta: 0, permutations: 1000, resamples: 1000, seed: 1);
        Assert.InRange(outcome.RejectionRate, 0.03, 0.07);
        Assert.InRange(outcome.MeanDelta, -0.01, 0.01);
    }

    [Fact]
    public void BootstrapInterval_PlantedDelta_CoversTheTruth()
    {
        var outcome = Calibration.RunPrimary(datasets: 1000, n: 374, converted: 193, plantedDelta: 0.3, permutations: 200, resamples: 1000, seed: 1);
        Assert.InRange(outcome.Coverage, 0.93, 1.0);
        Assert.InRange(outcome.MeanDelta, 0.29, 0.31);
        Assert.True(outcome.RejectionRate > 0.9, $"power {outcome.RejectionRate}");
    }

    [Fact]
    public void FullAnalysis_SmallCalibration_RejectionAndCoverageInRange()
    {
        // The whole pipeline (joint bootstrap, all endpoints) on fewer datasets, with wider bands for the smaller sample.
        var options = new AnalysisOptions { Permutations = 500, BootstrapResamples = 500, Seed = 3 };
        var nul = Calibration.Run(datasets: 150, n: 374, converted: 193, plantedDelta: 0, options);
        var planted = Calibration.Run(datasets: 150, n: 374, converted: 193, plantedDelta: 0.3, options);
        Assert.InRange(nul.RejectionRate, 0.01, 0.10);
        Assert.InRange(planted.Coverage, 0.89, 1.0);
    }
}
