using Dfid.Instrument;
using Dfid.Instrument.Learned;

namespace Dfid.Tests.Instrument;

/// <summary>The sparse-aware softmax, its lexicon, and the stage model's decision rule.</summary>
public sealed class MixedSoftmaxTests
{
    /// <summary>Rows with three dense features and a sparse block where column j of row i is set when (i + j) % 5 == 0.</summary>
    private static (FeatureRows Mixed, FeatureRows AllDense, int[] Y) Data()
    {
        var rng = new Random(11);
        const int n = 61, d = 3, s = 7;
        var y = new int[n];
        var dense = new float[n * d];
        var all = new float[n * (d + s)];
        var start = new int[n + 1];
        var index = new List<int>();
        var value = new List<double>();
        for (var i = 0; i < n; i++)
        {
            y[i] = i % 3;
            for (var j = 0; j < d; j++)
            {
                var v = (float)(rng.NextDouble() - 0.5 + (j == y[i] ? 0.8 : 0));
                dense[i * d + j] = v;
                all[i * (d + s) + j] = v;
            }
            for (var j = 0; j < s; j++)
                if ((i + j) % 5 == 0 || (j == y[i] && i % 2 == 0))
                {
                    index.Add(j);
                    value.Add(0.5);
                    all[i * (d + s) + d + j] = 0.5f;
                }
            start[i + 1] = index.Count;
        }
        return (new FeatureRows(d, s, dense, start, [.. index], [.. value]),
            new FeatureRows(d + s, 0, all, [.. Enumerable.Repeat(0, n + 1)], [], []), y);
    }

    [Fact]
    public void TrainMixed_SparseColumns_ReachTheSameOptimumAsTheSameColumnsDense()
    {
        // One objective written two ways (the sparse columns as dense ones, same L2): the same probabilities, up to the
        // float rounding of stored weights and of the dense products.
        var (mixed, allDense, y) = Data();
        var wm = SoftmaxRegression.Train(mixed, y, 3, 0.01, 0.01, 2000);
        var wd = SoftmaxRegression.Train(allDense, y, 3, 0.01, 0.01, 2000);
        var pm = new double[3];
        var pd = new double[3];
        for (var i = 0; i < y.Length; i++)
        {
            SoftmaxRegression.Probabilities(wm, mixed.DenseRow(i), mixed.SparseIndex(i), mixed.SparseValue(i), 3, pm);
            SoftmaxRegression.Probabilities(wd, allDense.DenseRow(i), [], [], 3, pd);
            for (var c = 0; c < 3; c++) Assert.Equal(pd[c], pm[c], 2e-5);
        }
        // Deterministic: the same data gives the same weights.
        Assert.Equal(wm, SoftmaxRegression.Train(mixed, y, 3, 0.01, 0.01, 2000));
    }

    [Fact]
    public void TrainMixed_StrongSparsePenalty_SilencesOnlyTheSparseBlock()
    {
        var (mixed, _, y) = Data();
        var w = SoftmaxRegression.Train(mixed, y, 3, 1e-3, 1e6, 500);
        var sparse = w.AsSpan(3 * (mixed.DenseDims + 1));
        Assert.All(sparse.ToArray(), v => Assert.True(Math.Abs(v) < 1e-5));
        Assert.Contains(w.Take(3 * mixed.DenseDims), v => Math.Abs(v) > 0.1);
    }

    [Fact]
    public void Lexicon_KeepsIdsSeenTwice_AndScalesEachChannelToUnitLength()
    {
        Dictionary<int, int>[] Doc(params (int Id, int Count)[] words) => [words.ToDictionary(w => w.Id, w => w.Count), new() { [100] = 1 }];
        var docs = new[] { Doc((1, 1), (2, 3)), Doc((1, 2), (3, 1)), Doc((2, 1)) };
        var lexicon = Lexicon.Build(docs, minDf: 2);
        Assert.Equal([1, 2, 100], lexicon.Ids);
        // idf = ln((1 + 3) / (1 + df)) + 1: ids 1 and 2 occur in two documents, 100 in all three.
        Assert.Equal(Math.Log(4.0 / 3) + 1, lexicon.Idf[0], 6);
        Assert.Equal(1.0, lexicon.Idf[2], 6);
        var (index, value) = lexicon.Vectorise(Doc((2, 3), (1, 1), (7, 5)));
        Assert.Equal([0, 1, 2], index); // id 7 is unknown and dropped; columns ascending
        var a = 1.0;
        var b = 1 + Math.Log(3);
        Assert.Equal(a / Math.Sqrt(a * a + b * b), value[0], 12);
        Assert.Equal(b / Math.Sqrt(a * a + b * b), value[1], 12);
        Assert.Equal(1.0, value[2], 12); // the second channel alone
    }

    [Fact]
    public void LexicalFeatures_AreStableAcrossRuns_AndSeeNegationAndNumbers()
    {
        var words = new Dictionary<int, int>();
        LexicalFeatures.CountWords("No thanks, I'll donate $0.", 'u', words);
        var again = new Dictionary<int, int>();
        LexicalFeatures.CountWords("no THANKS i'll donate $0", 'u', again);
        Assert.Equal(words.OrderBy(x => x.Key), again.OrderBy(x => x.Key));
        Assert.Equal(["no", "thanks", "i'll", "donate", "$0"], LexicalFeatures.Words("No thanks, I'll donate $0."));
        Assert.Equal(["$0.50", "or", ".25", "?"], LexicalFeatures.Words("$0.50 or .25?"));
        var one = new Dictionary<int, int>();
        LexicalFeatures.CountWords("I'll donate $1.", 'u', one);
        Assert.NotEqual(words.Keys.Order(), one.Keys.Order());
    }

    [Fact]
    public void DecisionRule_Select_FitsTheTemperature_AndKeepsRefusalsOffDeciding()
    {
        // Logits that are twice too confident: the fitted temperature is about 2.
        var rng = new Random(5);
        var logits = new List<double[]>();
        var labels = new List<int>();
        var refusal = new List<bool>();
        for (var i = 0; i < 4000; i++)
        {
            var y = rng.Next(5);
            var l = new double[5];
            for (var c = 0; c < 5; c++) l[c] = 2 * (c == y ? 1.0 : 0) + 2 * Normal(rng);
            // Probabilities p ∝ exp(l/2) are the true ones: y is drawn from them.
            var p = l.Select(v => Math.Exp(v / 2)).ToArray();
            var u = rng.NextDouble() * p.Sum();
            var label = 0;
            for (var acc = p[0]; acc < u && label < 4; acc += p[++label]) { }
            logits.Add(l);
            labels.Add(label);
            refusal.Add(false);
        }
        var t = StageDecisionRule.FitTemperature(logits, labels);
        Assert.InRange(t, 1.8, 2.2);

        // Resisting turns of which a fifth lean to deciding, beside sure deciding turns: the threshold is the smallest on
        // the grid that puts at most 3% of the resisting turns at deciding (whatever temperature was fitted), and the
        // sure deciding turns stay there.
        var offsets = StageDecisionRule.Offsets([100, 100, 100, 100, 100]);
        var resisting = Enumerable.Range(0, 100).Select(i => new double[] { 0, -3, -3, -3, i % 5 == 0 ? 0.3 : -1 });
        var deciding = Enumerable.Range(0, 100).Select(_ => new double[] { -3, -3, -3, -3, 5 });
        var all = resisting.Concat(deciding).ToList();
        int[] labels2 = [.. Enumerable.Repeat(0, 100), .. Enumerable.Repeat(4, 100)];
        var rule = StageDecisionRule.Select(all, labels2, [.. Enumerable.Repeat(false, 200)], offsets, 0.03);
        int AtDeciding(StageDecisionRule r) => all.Take(100).Count(l =>
        {
            var p = (double[])l.Clone();
            r.Calibrate(p);
            return r.Decide(p, refusal: false) == 4;
        });
        Assert.True(AtDeciding(rule) <= 3, $"threshold {rule.DecidingThreshold}, temperature {rule.Temperature}");
        Assert.True(rule.DecidingThreshold > 0);
        var lower = StageDecisionRule.Thresholds[Array.IndexOf(StageDecisionRule.Thresholds, rule.DecidingThreshold) - 1];
        Assert.True(AtDeciding(rule with { DecidingThreshold = lower }) > 3);
        Assert.All(deciding, l =>
        {
            var p = (double[])l.Clone();
            rule.Calibrate(p);
            Assert.Equal(4, rule.Decide(p, refusal: false));
        });
        // A refusal is never deciding, however sure the model is.
        var sure = new double[] { -5, -5, -5, -5, 5 };
        rule.Calibrate(sure);
        Assert.NotEqual(4, rule.Decide(sure, refusal: true));
        Assert.Equal(4, new StageDecisionRule(1, 0, offsets, 0).Decide(sure, refusal: false));
    }

    private static double Normal(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());
}
