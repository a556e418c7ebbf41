using System.Globalization;
using Dfid.Analysis.Statistics;

namespace Dfid.Tests.Analysis;

/// <summary>Kaplan–Meier, Greenwood intervals, the median and the log-rank test against R's <c>survival</c> package
/// (Fixtures/analysis/survival_reference.R writes the data and R's results to survival_*.csv).</summary>
/// <remarks>Tolerance: |ours − R| ≤ 1e-9 × max(1, |R|), i.e. absolute 1e-9 for probabilities, standard errors and
/// bounds (all ≤ 1 or close), relative 1e-9 for larger values (χ², expected counts, variances). NA in R must be NaN
/// here and Inf must be +∞.</remarks>
public class SurvivalReferenceTests
{
    private const double Tolerance = 1e-9;

    private sealed record Subjects(double[] Time, bool[] Event, int[] Group, int[] Stratum)
    {
        public Subjects Where(Func<int, bool> keep)
        {
            var idx = Enumerable.Range(0, Time.Length).Where(keep).ToArray();
            return new Subjects(idx.Select(i => Time[i]).ToArray(), idx.Select(i => Event[i]).ToArray(),
                idx.Select(i => Group[i]).ToArray(), idx.Select(i => Stratum[i]).ToArray());
        }
    }

    private static readonly Dictionary<string, Subjects> Sets = ReferenceFixtures.Read("survival_data.csv")
        .GroupBy(r => r["set"])
        .ToDictionary(g => g.Key, g => new Subjects(
            g.Select(r => R(r, "time")).ToArray(), g.Select(r => r.Int("status") == 1).ToArray(),
            g.Select(r => r.Int("group")).ToArray(), g.Select(r => r.Int("stratum")).ToArray()));

    [Fact]
    public void KaplanMeier_EveryRowAndIntervalType_MatchesRSurvfit()
    {
        var fits = ReferenceFixtures.Read("survival_km.csv")
            .GroupBy(r => (Set: r["set"], Stratum: r.Int("stratum"), Group: r.Int("group"), Type: r["conf_type"], Level: R(r, "conf_level")))
            .ToList();
        Assert.True(fits.Count >= 60, $"expected the fixture to hold every set × group × type, got {fits.Count} fits");
        var checkedRows = 0;
        foreach (var fit in fits)
        {
            var (set, stratum, group, type, level) = fit.Key;
            var data = Sets[set].Where(i => Sets[set].Stratum[i] == stratum && Sets[set].Group[i] == group);
            var curve = Survival.KaplanMeier(data.Time, data.Event, level, Type(type));
            var expected = fit.ToList();
            var where = $"{set} stratum {stratum} group {group} {type} {level}";
            Assert.True(expected.Count == curve.Steps.Count, $"{where}: {curve.Steps.Count} steps vs R {expected.Count}");
            Assert.Equal(data.Time.Length, curve.Subjects);
            Assert.Equal(expected.Sum(r => r.Int("n_event")), curve.Events);
            for (var i = 0; i < expected.Count; i++)
            {
                var (ours, r) = (curve.Steps[i], expected[i]);
                var at = $"{where} time {r["time"]}";
                Assert.Equal(R(r, "time"), ours.Time);
                Assert.True(r.Int("n_risk") == ours.AtRisk, $"{at}: n.risk {ours.AtRisk} vs R {r["n_risk"]}");
                Assert.True(r.Int("n_event") == ours.Events, $"{at}: n.event {ours.Events} vs R {r["n_event"]}");
                Assert.True(r.Int("n_censor") == ours.Censored, $"{at}: n.censor {ours.Censored} vs R {r["n_censor"]}");
                Close(R(r, "surv"), ours.Survival, $"{at}: surv");
                Close(R(r, "std_err_log"), ours.StdErrLogSurvival, $"{at}: std.err (log S)");
                Close(R(r, "std_err_surv"), ours.StdErrSurvival, $"{at}: summary std.err (S)");
                Close(R(r, "lower"), ours.Lower, $"{at}: lower");
                Close(R(r, "upper"), ours.Upper, $"{at}: upper");
                checkedRows++;
            }
        }
        Assert.True(checkedRows > 500);
    }

    [Fact]
    public void KaplanMeier_FixtureCoversTheDegenerateCases()
    {
        // The comparison above is only as good as the cases the fixture holds: make sure the edge cases are there.
        var rows = ReferenceFixtures.Read("survival_km.csv");
        Assert.Contains(rows, r => r["std_err_log"] == "Inf" && r["lower"] == "NA" && r["surv"] == "0");
        Assert.Contains(rows, r => r["n_event"] != "0" && r["n_censor"] != "0");
        Assert.Contains(rows, r => r["conf_type"] == "log-log" && r["surv"] == "1" && r["lower"] == "NA");
        Assert.Contains(rows, r => r["conf_type"] == "plain" && r["lower"] == "0" && r["surv"] != "0");
        Assert.Contains(rows, r => r["conf_type"] == "log" && r["upper"] == "1" && r["surv"] != "1");
    }

    [Fact]
    public void Median_MatchesRPrintSurvfit()
    {
        var rows = ReferenceFixtures.Read("survival_median.csv");
        Assert.Contains(rows, r => r["median"] == "NA");
        Assert.Contains(rows, r => r["median"] == "2.5"); // the midpoint rule on a flat 0.5 step
        Assert.Contains(rows, r => r["median"] != "NA" && r["ucl"] == "NA");
        foreach (var r in rows)
        {
            var data = Sets[r["set"]].Where(i => Sets[r["set"]].Stratum[i] == r.Int("stratum") && Sets[r["set"]].Group[i] == r.Int("group"));
            var curve = Survival.KaplanMeier(data.Time, data.Event, R(r, "conf_level"), Type(r["conf_type"]));
            var median = Survival.Median(curve);
            var at = $"{r["set"]} stratum {r["stratum"]} group {r["group"]} {r["conf_type"]} {r["conf_level"]}";
            Assert.Equal(r.Int("n"), curve.Subjects);
            Assert.Equal(r.Int("events"), curve.Events);
            Close(R(r, "median"), median.Median, $"{at}: median");
            Close(R(r, "lcl"), median.Lower, $"{at}: LCL");
            Close(R(r, "ucl"), median.Upper, $"{at}: UCL");
        }
    }

    [Fact]
    public void LogRank_EverySet_MatchesRSurvdiff()
    {
        var tests = ReferenceFixtures.Read("survival_logrank.csv").GroupBy(r => (Set: r["set"], Test: r["test"])).ToList();
        var variances = ReferenceFixtures.Read("survival_logrank_var.csv");
        Assert.True(tests.Count >= 12);
        foreach (var test in tests)
        {
            var (set, name) = test.Key;
            var all = Sets[set];
            var result = name switch
            {
                "pooled" => Survival.LogRank(all.Time, all.Event, all.Group),
                "stratified" => Survival.StratifiedLogRank(all.Time, all.Event, all.Group, all.Stratum),
                _ => LogRankWithin(all.Where(i => all.Stratum[i] == int.Parse(name["stratum".Length..], CultureInfo.InvariantCulture))),
            };
            var expected = test.ToList();
            var where = $"{set} {name}";
            Assert.Equal(expected.Count, result.Groups.Count);
            foreach (var r in expected)
            {
                var g = result.Groups[r.Int("group")];
                Assert.True(r.Int("n") == g.Subjects, $"{where} group {r["group"]}: n {g.Subjects} vs R {r["n"]}");
                Close(R(r, "obs"), g.Observed, $"{where} group {r["group"]}: observed");
                Close(R(r, "exp"), g.Expected, $"{where} group {r["group"]}: expected");
            }
            Close(R(expected[0], "chisq"), result.ChiSquare, $"{where}: chi-square");
            Assert.True(expected[0].Int("df") == result.DegreesOfFreedom, $"{where}: df {result.DegreesOfFreedom} vs R {expected[0]["df"]}");
            Close(R(expected[0], "p"), result.PValue, $"{where}: p");
            // Small p-values also to 1e-9 relative, so a tail computed as 1 − CDF would fail here.
            var rp = R(expected[0], "p");
            if (rp > 0 && rp < 1e-3) Assert.True(Math.Abs(result.PValue / rp - 1) <= Tolerance, $"{where}: p {result.PValue} vs R {rp} (relative)");
            foreach (var v in variances.Where(v => v["set"] == set && v["test"] == name))
                Close(R(v, "var"), result.Variance[v.Int("i")][v.Int("j")], $"{where}: var[{v["i"]},{v["j"]}]");
        }

        static LogRankResult LogRankWithin(Subjects s) => Survival.LogRank(s.Time, s.Event, s.Group);
    }

    [Fact]
    public void StratifiedLogRank_PerStratumCounts_MatchRSurvdiffMatrices()
    {
        var rows = ReferenceFixtures.Read("survival_logrank_strata.csv");
        Assert.NotEmpty(rows);
        var all = Sets["strata"];
        var result = Survival.StratifiedLogRank(all.Time, all.Event, all.Group, all.Stratum);
        Assert.Equal(2, result.Strata.Count);
        foreach (var r in rows)
        {
            var cell = result.Strata[r.Int("stratum")][r.Int("group")];
            Close(R(r, "obs"), cell.Observed, $"stratum {r["stratum"]} group {r["group"]}: observed");
            Close(R(r, "exp"), cell.Expected, $"stratum {r["stratum"]} group {r["group"]}: expected");
        }
        // Each stratum's counts equal the unstratified test run on that stratum alone.
        for (var h = 0; h < 2; h++)
        {
            var only = all.Where(i => all.Stratum[i] == h);
            var alone = Survival.LogRank(only.Time, only.Event, only.Group);
            for (var g = 0; g < 2; g++) Assert.Equal(alone.Groups[g], result.Strata[h][g]);
        }
    }

    [Fact]
    public void LogRank_GroupWithZeroExpected_IsDroppedFromTheTestAsInR()
    {
        var early = Sets["early"];
        var result = Survival.LogRank(early.Time, early.Event, early.Group);
        Assert.Equal(3, result.Groups.Count);
        Assert.Equal(0, result.Groups[2].Expected);
        Assert.Equal(1, result.DegreesOfFreedom);
    }

    [Fact]
    public void LogRank_NoEvents_GivesChiSquareZeroDfMinusOneAndNaNp()
    {
        var none = Sets["noevents"];
        var result = Survival.LogRank(none.Time, none.Event, none.Group);
        Assert.Equal(0, result.ChiSquare);
        Assert.Equal(-1, result.DegreesOfFreedom);
        Assert.True(double.IsNaN(result.PValue));
    }

    [Fact]
    public void LogRank_SingleGroup_GivesDfZeroAndPOne()
    {
        // R refuses one group; here it is the df = 0 case (pchisq(0, 0, lower.tail = FALSE) = 1 in R).
        var result = Survival.LogRank([1, 2, 3], [true, false, true], [0, 0, 0]);
        Assert.Single(result.Groups);
        Assert.Equal(0, result.DegreesOfFreedom);
        Assert.Equal(0, result.ChiSquare);
        Assert.Equal(1, result.PValue);
    }

    [Fact]
    public void LogRank_SingularCovariance_GivesNaNWhereRStops()
    {
        // Both subjects have the event at the only event time: d = n, so the covariance is 0 (R: "system is exactly singular").
        var result = Survival.LogRank([1, 1], [true, true], [0, 1]);
        Assert.Equal(1, result.DegreesOfFreedom);
        Assert.Equal(0, result.Variance[1][1]);
        Assert.True(double.IsNaN(result.ChiSquare));
        Assert.True(double.IsNaN(result.PValue));
    }

    [Fact]
    public void KaplanMeier_EmptyInput_HasNoStepsAndNoMedian()
    {
        var curve = Survival.KaplanMeier([], []);
        Assert.Empty(curve.Steps);
        Assert.Equal(0, curve.Subjects);
        var median = Survival.Median(curve);
        Assert.True(double.IsNaN(median.Median) && double.IsNaN(median.Lower) && double.IsNaN(median.Upper));
    }

    [Fact]
    public void KaplanMeier_IsIndependentOfInputOrder()
    {
        var s = Sets["ties"];
        var reversed = Survival.KaplanMeier(s.Time.Reverse().ToArray(), s.Event.Reverse().ToArray());
        var forward = Survival.KaplanMeier(s.Time, s.Event);
        Assert.Equal(forward.Steps, reversed.Steps);
    }

    [Fact]
    public void BadInput_IsRefusedWithTheOffendingEntryNamed()
    {
        var lengths = Assert.Throws<ArgumentException>(() => Survival.KaplanMeier([1, 2], [true]));
        Assert.Contains("eventObserved has 1", lengths.Message);
        var nan = Assert.Throws<ArgumentException>(() => Survival.KaplanMeier([1, double.NaN], [true, false]));
        Assert.Contains("time[1]", nan.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Survival.KaplanMeier([1], [true], confidenceLevel: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Survival.KaplanMeier([1], [true], confidenceType: (SurvivalConfidenceType)9));
        var code = Assert.Throws<ArgumentException>(() => Survival.LogRank([1, 2], [true, true], [0, -1]));
        Assert.Contains("group[1] is -1", code.Message);
        var stratum = Assert.Throws<ArgumentException>(() => Survival.StratifiedLogRank([1, 2], [true, true], [0, 1], [0]));
        Assert.Contains("stratum has 1", stratum.Message);
    }

    private static SurvivalConfidenceType Type(string r) => r switch
    {
        "log" => SurvivalConfidenceType.Log,
        "plain" => SurvivalConfidenceType.Plain,
        "log-log" => SurvivalConfidenceType.LogLog,
        _ => throw new InvalidDataException($"survival_km.csv: unknown conf_type '{r}'"),
    };

    /// <summary>A number as R wrote it: "NA" is NaN, "Inf" is +∞.</summary>
    private static double R(Dictionary<string, string> row, string key) => row[key] switch
    {
        "NA" => double.NaN,
        "Inf" => double.PositiveInfinity,
        var v => double.Parse(v, CultureInfo.InvariantCulture),
    };

    private static void Close(double expected, double actual, string what)
    {
        if (double.IsNaN(expected) || double.IsInfinity(expected))
        {
            Assert.True(expected.Equals(actual), $"{what}: {actual} vs R {(double.IsNaN(expected) ? "NA" : expected)}");
            return;
        }
        Assert.True(Math.Abs(actual - expected) <= Tolerance * Math.Max(1, Math.Abs(expected)), $"{what}: {actual} vs R {expected}");
    }
}
