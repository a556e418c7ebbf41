using System.Globalization;
using Dfid.Embeddings;
using Dfid.Instrument.Learned;

namespace Dfid.Tests.Instrument;

public sealed class SoftmaxRegressionTests
{
    /// <summary>Dense-only rows (no lexical block) of the trainer.</summary>
    private static FeatureRows Rows(IReadOnlyList<float[]> x) =>
        new(x[0].Length, 0, [.. x.SelectMany(r => r)], new int[x.Count + 1], [], []);

    private static double[] Train(IReadOnlyList<float[]> x, int[] y, int classes, double l2, int iterations, double[]? weights = null) =>
        SoftmaxRegression.Train(Rows(x), y, classes, l2, 0, iterations, weights);

    private static void Probabilities(double[] w, float[] x, int classes, double[] p) =>
        SoftmaxRegression.Probabilities(w, x, [], [], classes, p);

    [Fact]
    public void Train_SeparableClusters_ClassifiesTrainingData()
    {
        var rng = new Random(3);
        var x = new List<float[]>();
        var y = new List<int>();
        for (var c = 0; c < 3; c++)
            for (var i = 0; i < 40; i++)
            {
                var v = new float[4];
                v[c] = 2f;
                for (var j = 0; j < 4; j++) v[j] += (float)(rng.NextDouble() - 0.5);
                x.Add(v);
                y.Add(c);
            }
        var w = Train(x, [.. y], 3, 1e-3, 200);
        var p = new double[3];
        var correct = 0;
        for (var i = 0; i < x.Count; i++)
        {
            Probabilities(w, x[i], 3, p);
            if (Array.IndexOf(p, p.Max()) == y[i]) correct++;
            Assert.Equal(1.0, p.Sum(), 1e-9);
        }
        Assert.Equal(x.Count, correct);
        // Deterministic: the same data gives the same weights.
        Assert.Equal(w, Train(x, [.. y], 3, 1e-3, 200));
    }

    [Fact]
    public void Train_WeightedL2Objective_ReachesTheOptimumComputedInR()
    {
        // Fixtures/instrument/softmax_reference.R minimises the same objective with R's optim: 61 weighted rows and 10
        // features, neither a multiple of the blocks of four the C# loss works in.
        static double[] Numbers(string line) => line.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var data = File.ReadAllLines(TestData.Fixture("instrument", "softmax_data.csv")).Skip(1).Select(Numbers).ToArray();
        var expected = File.ReadAllLines(TestData.Fixture("instrument", "softmax_reference.csv")).Skip(1).Select(Numbers).ToArray();
        var x = data.Select(r => r[2..].Select(v => (float)v).ToArray()).ToArray();
        var y = data.Select(r => (int)r[0]).ToArray();
        var weights = data.Select(r => r[1]).ToArray();

        var w = Train(x, y, 3, 0.01, 2000, weights);

        // L-BFGS stops at a relative improvement of 1e-10, R's BFGS later: probabilities agree to 2e-5 (the scalar loss
        // that came before the vectorised one gave the same 2e-5).
        var p = new double[3];
        var worst = 0.0;
        for (var i = 0; i < x.Length; i++)
        {
            Probabilities(w, x[i], 3, p);
            for (var c = 0; c < 3; c++) worst = Math.Max(worst, Math.Abs(expected[i][c] - p[c]));
        }
        Assert.True(worst < 1e-4, $"largest difference from R's probabilities: {worst}");
    }

    [Fact]
    public void Train_StrongPenalty_ShrinksTowardPriors()
    {
        // With a huge L2 the weights vanish and only the biases remain: probabilities = class shares (3:1).
        var x = new List<float[]> { new[] { 1f, 0f }, new[] { 0.9f, 0.1f }, new[] { 0.8f, 0.2f }, new[] { 0f, 1f } };
        var w = Train(x, [0, 0, 0, 1], 2, 1e6, 500);
        var p = new double[2];
        Probabilities(w, x[3], 2, p);
        Assert.Equal(0.75, p[0], 1e-3);
    }

    [Fact]
    public void CachingEmbedder_PersistsVectors_AndOnlyEmbedsMissingTexts()
    {
        var path = Path.Combine(TestData.TempDir(), "emb.sqlite");
        var inner = new CountingEmbedder();
        float[][] first;
        using (var cache = new CachingTextEmbedder(inner, path))
        {
            first = cache.Embed(["a", "bb", "a"]);
            Assert.Equal(2, inner.Embedded); // "a" once
            Assert.Same(first[0], first[2]);
        }
        var again = new CountingEmbedder();
        using (var cache = new CachingTextEmbedder(again, path))
        {
            var second = cache.Embed(["bb", "a", "ccc"]);
            Assert.Equal(1, again.Embedded); // only "ccc"
            Assert.Equal(first[1], second[0]);
            Assert.Equal(first[0], second[1]);
        }
    }

    private sealed class CountingEmbedder : ITextEmbedder
    {
        public int Embedded { get; private set; }

        public int Dimensions => 3;

        public string ModelId => "counting/1";

        public float[][] Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
        {
            Embedded += texts.Count;
            return texts.Select(t => new[] { t.Length, t[0] / 100f, 1f }).ToArray();
        }
    }
}
