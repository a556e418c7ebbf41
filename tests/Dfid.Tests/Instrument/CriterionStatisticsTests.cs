using System.Globalization;
using Dfid.Analysis.Statistics;

namespace Dfid.Tests.Instrument;

/// <summary>The criterion-validity statistics against base R (Fixtures/instrument/criterion_reference.R).</summary>
public sealed class CriterionStatisticsTests
{
    private static List<Dictionary<string, string>> Read(string file)
    {
        var lines = File.ReadAllLines(TestData.Fixture("instrument", file)).Where(l => l.Length > 0).ToList();
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(x => x.First, x => x.Second)).ToList();
    }

    private static double Num(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    [Fact]
    public void OutcomeContrast_Compare_MatchesR()
    {
        var depths = Read("criterion_depths.csv");
        var expected = Read("criterion_contrast.csv");
        Assert.Equal(5, expected.Count);
        foreach (var e in expected)
        {
            int[] Group(string g) => [.. depths.Where(d => d["case"] == e["case"] && d["group"] == g).Select(d => int.Parse(d["depth"], CultureInfo.InvariantCulture))];
            var r = OutcomeContrast.Compare(Group("a"), Group("b"));
            Assert.Equal(int.Parse(e["n_a"], CultureInfo.InvariantCulture), r.NotConverted);
            Assert.Equal(int.Parse(e["n_b"], CultureInfo.InvariantCulture), r.Converted);
            Assert.Equal(Num(e["share_a"]), r.ResistingNotConverted, 12);
            Assert.Equal(Num(e["share_b"]), r.ResistingConverted, 12);
            Assert.Equal(Num(e["diff"]), r.ResistingDifference, 12);
            Assert.Equal(Num(e["fisher_p"]), r.FisherP, 9);
            Assert.Equal(Num(e["mean_a"]), r.MeanDepthNotConverted, 12);
            Assert.Equal(Num(e["mean_b"]), r.MeanDepthConverted, 12);
            Assert.Equal(Num(e["auc"]), r.DepthAuc, 12);
        }
    }

    [Fact]
    public void OutcomeContrast_EmptyGroup_GivesNaNAndPOne()
    {
        var r = OutcomeContrast.Compare([], [0, 1, 2]);
        Assert.True(double.IsNaN(r.ResistingNotConverted));
        Assert.True(double.IsNaN(r.DepthAuc));
        Assert.Equal(1.0, r.FisherP);
        Assert.Equal(1.0 / 3, r.ResistingConverted, 12);
    }

    [Fact]
    public void AreaUnderCurve_SeparatedAndTiedSamples()
    {
        Assert.Equal(1.0, OutcomeContrast.AreaUnderCurve([0, 1], [2, 3]));
        Assert.Equal(0.0, OutcomeContrast.AreaUnderCurve([2, 3], [0, 1]));
        Assert.Equal(0.5, OutcomeContrast.AreaUnderCurve([1, 1], [1, 1, 1]));
    }

    [Fact]
    public void ProbabilityScores_BrierAndEce_MatchR()
    {
        var rows = Read("criterion_probabilities.csv");
        var p = rows.Select(r => Enumerable.Range(0, 5).Select(c => Num(r["p" + c])).ToArray()).ToList();
        var y = rows.Select(r => int.Parse(r["label"], CultureInfo.InvariantCulture)).ToArray();
        var expected = Read("criterion_scores.csv").Single();
        Assert.Equal(Num(expected["brier"]), ProbabilityScores.Brier(p, y), 12);
        Assert.Equal(Num(expected["ece10"]), ProbabilityScores.ExpectedCalibrationError(p, y, 10), 12);
        Assert.Equal(Num(expected["ece5"]), ProbabilityScores.ExpectedCalibrationError(p, y, 5), 12);
    }

    [Fact]
    public void ProbabilityScores_PerfectAndUniform()
    {
        double[][] sure = [[1, 0, 0], [0, 0, 1]];
        Assert.Equal(0.0, ProbabilityScores.Brier(sure, [0, 2]));
        Assert.Equal(0.0, ProbabilityScores.ExpectedCalibrationError(sure, [0, 2]));
        double[][] flat = [[0.5, 0.5], [0.5, 0.5]];
        Assert.Equal(0.5, ProbabilityScores.Brier(flat, [0, 1]), 12);
        Assert.Equal(0.0, ProbabilityScores.ExpectedCalibrationError(flat, [0, 1]), 12); // top label 0: right half the time at confidence 0.5
        Assert.Throws<ArgumentException>(() => ProbabilityScores.Brier(flat, [0, 2]));
    }
}
