using Dfid.Corpus;
using Dfid.Embeddings;

namespace Dfid.Instrument.Learned;

/// <summary>One scored turn: the chosen class, the class probabilities, and which fold model scored it (null = full model).</summary>
internal readonly record struct Scored(int Label, double[] Probabilities, int? Fold);

/// <summary>Scores turns with a trained model; batches the embedding of all texts of a call.</summary>
internal sealed class LearnedScorer(LearnedModel model, ITextEmbedder embedder)
{
    public LearnedModel Model { get; } = model;

    public Scored[] Score(IReadOnlyList<(Conversation Conversation, int TurnIndex, string Text)> items, CancellationToken ct)
    {
        var texts = new List<string>(items.Count * 2);
        var contexts = new (string? Context, int Ordinal)[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var (c, t, text) = items[i];
            contexts[i] = TurnFeatures.Context(c, t);
            texts.Add(text);
            if (contexts[i].Context is { } ctx) texts.Add(ctx);
        }
        var vectors = embedder.Embed(texts, ct);
        var result = new Scored[items.Count];
        var at = 0;
        var classes = Model.Classes.Length;
        for (var i = 0; i < items.Count; i++)
        {
            var tv = vectors[at++];
            var cv = contexts[i].Context is not null ? vectors[at++] : null;
            var f = TurnFeatures.Build(tv, cv, contexts[i].Ordinal, items[i].Text);
            var (w, fold) = Model.WeightsFor(LearnedModel.Key(items[i].Conversation));
            var p = new double[classes];
            SoftmaxRegression.Probabilities(w, f, classes, p);
            var best = 0;
            for (var c = 1; c < classes; c++) if (p[c] > p[best]) best = c;
            result[i] = new Scored(best, p, fold);
        }
        return result;
    }

    public static void CheckDimensions(LearnedModel model, ITextEmbedder embedder)
    {
        if (model.EmbeddingDimensions != embedder.Dimensions)
            throw new DfidException($"learned model expects {model.EmbeddingDimensions}-d embeddings but the embedder gives {embedder.Dimensions}; retrain with this embedder.", 1);
    }
}
