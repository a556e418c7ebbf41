using System.Globalization;
using Dfid.Analysis.Statistics;

namespace Dfid.Tests.Willingness;

/// <summary>AUC, Brier score and calibration table of <see cref="BinaryPrediction"/> against R (Fixtures/willingness/reference.R:
/// AUC from every positive–negative pair, cross-checked there with <c>wilcox.test</c>).</summary>
public sealed class BinaryPredictionReferenceTests
{
    private static List<Dictionary<string, string>> Read(string file)
    {
        var lines = File.ReadAllLines(TestData.Fixture("willingness", file)).Where(l => l.Length > 0).ToList();
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => header.Zip(l.Split(','), (h, v) => (h, v)).ToDictionary(x => x.h, x => x.v)).ToList();
    }

    private static double Num(Dictionary<string, string> row, string key) => double.Parse(row[key], CultureInfo.InvariantCulture);

    private static (double[] Model, double[] Baseline, int[] Y) Predictions()
    {
        var rows = Read("predictions.csv");
        return (rows.Select(r => Num(r, "p_model")).ToArray(), rows.Select(r => Num(r, "p_baseline")).ToArray(),
            rows.Select(r => int.Parse(r["y"], CultureInfo.InvariantCulture)).ToArray());
    }

    [Fact]
    public void AucAndBrier_ModelAndBaseline_EqualR()
    {
        var (model, baseline, y) = Predictions();
        var reference = Read("auc_brier.csv").ToDictionary(r => r["score"]);
        Assert.Equal(Num(reference["model"], "auc"), BinaryPrediction.Auc(model, y), 12);
        Assert.Equal(Num(reference["baseline"], "auc"), BinaryPrediction.Auc(baseline, y), 12);
        Assert.Equal(Num(reference["model"], "brier"), BinaryPrediction.Brier(model, y), 12);
        Assert.Equal(Num(reference["baseline"], "brier"), BinaryPrediction.Brier(baseline, y), 12);
        // The fixture's model separates the outcomes better than its baseline, as validate reports it.
        Assert.True(BinaryPrediction.Auc(model, y) > BinaryPrediction.Auc(baseline, y));
    }

    [Fact]
    public void Calibration_TenBins_EqualR_WithBoundaryValuesInTheLowerBin()
    {
        var (model, _, y) = Predictions();
        var reference = Read("calibration.csv");
        var bins = BinaryPrediction.Calibration(model, y, 10);
        Assert.Equal(reference.Count, bins.Count);
        foreach (var (r, b) in reference.Zip(bins))
        {
            Assert.Equal(Num(r, "low"), b.Low, 12);
            Assert.Equal(Num(r, "high"), b.High, 12);
            Assert.Equal((int)Num(r, "n"), b.N);
            Assert.Equal(Num(r, "mean_predicted"), b.MeanPredicted, 12);
            Assert.Equal(Num(r, "observed"), b.Observed, 12);
        }
    }

    [Fact]
    public void Auc_HandComputedFixture()
    {
        // Positives 0.8, 0.4; negatives 0.4, 0.1: pairs (0.8>0.4)=1, (0.8>0.1)=1, (0.4=0.4)=½, (0.4>0.1)=1 → 3.5/4.
        Assert.Equal(0.875, BinaryPrediction.Auc([0.8, 0.4, 0.4, 0.1], [1, 1, 0, 0]), 15);
        Assert.True(double.IsNaN(BinaryPrediction.Auc([0.2, 0.3], [1, 1])));
    }

    [Fact]
    public void ClusterResamples_KeepStrataSizes_AndAreReproducible()
    {
        int[] stratum = [0, 0, 0, 1, 1];
        var a = BinaryPrediction.DrawClusterResamples(stratum, 50, 7);
        var b = BinaryPrediction.DrawClusterResamples(stratum, 50, 7);
        Assert.Equal(a, b);
        Assert.All(a, draw =>
        {
            Assert.Equal(3, draw.Take(3).Count(c => c < 3));
            Assert.Equal(2, draw.Skip(3).Count(c => c >= 3));
        });
    }
}
