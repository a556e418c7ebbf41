using Dfid.Corpus;
using Dfid.Embeddings;

namespace Dfid.Instrument.Learned;

/// <summary>One scored turn: the chosen class, the (calibrated) class probabilities, and which fold model scored it (null = full model).</summary>
internal readonly record struct Scored(int Label, double[] Probabilities, int? Fold);

/// <summary>Scores turns with a trained model; batches the embedding of all texts of a call.</summary>
internal sealed class LearnedScorer(LearnedModel model, ITextEmbedder embedder)
{
    public LearnedModel Model { get; } = model;

    private bool IsStage => Model.Target == "stage";

    public Scored[] Score(IReadOnlyList<(Conversation Conversation, int TurnIndex, string Text)> items, CancellationToken ct)
    {
        var texts = new List<string>(items.Count * 3);
        var stage = new StageContext[items.Count];
        var action = new (string? Context, int Ordinal)[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var (c, t, text) = items[i];
            texts.Add(text);
            if (IsStage)
            {
                stage[i] = StageContext.Of(c, t);
                if (stage[i].Agent is { } a) texts.Add(a);
                if (stage[i].PreviousUser is { } u) texts.Add(u);
            }
            else
            {
                action[i] = TurnFeatures.Context(c, t);
                if (action[i].Context is { } ctx) texts.Add(ctx);
            }
        }
        var vectors = embedder.Embed(texts, ct);
        var result = new Scored[items.Count];
        var at = 0;
        var classes = Model.Classes.Length;
        for (var i = 0; i < items.Count; i++)
        {
            var text = items[i].Text;
            var tv = vectors[at++];
            var (m, fold) = Model.ModelFor(LearnedModel.Key(items[i].Conversation));
            var p = new double[classes];
            int label;
            if (IsStage)
            {
                var av = stage[i].Agent is not null ? vectors[at++] : null;
                var uv = stage[i].PreviousUser is not null ? vectors[at++] : null;
                m.Logits(StageFeatures.Dense(tv, av, uv, stage[i].Ordinal, text), StageFeatures.Lexical(text), classes, p);
                var rule = m.Rule!;
                rule.Calibrate(p);
                label = rule.Decide(p, CommitmentCues.Refuses(text, stage[i].Agent));
            }
            else
            {
                var cv = action[i].Context is not null ? vectors[at++] : null;
                m.Logits(TurnFeatures.Build(tv, cv, action[i].Ordinal, text), null, classes, p);
                SoftmaxRegression.Softmax(p);
                label = 0;
                for (var c = 1; c < classes; c++) if (p[c] > p[label]) label = c;
            }
            result[i] = new Scored(label, p, fold);
        }
        return result;
    }

    public static void CheckDimensions(LearnedModel model, ITextEmbedder embedder)
    {
        if (model.EmbeddingDimensions != embedder.Dimensions)
            throw new DfidException($"learned model expects {model.EmbeddingDimensions}-d embeddings but the embedder gives {embedder.Dimensions}; retrain with this embedder.", 1);
    }
}
