using System.Text.Json;
using System.Text.Json.Nodes;
using Dfid.Corpus;

namespace Dfid.Instrument;

/// <summary>One labelled user turn, for inspection (<c>dfid instrument label</c>).</summary>
/// <param name="ConversationId">Conversation id.</param>
/// <param name="TurnIndex">Index of the user turn.</param>
/// <param name="HumanStage">The stage its human acts map to, when the corpus has them.</param>
/// <param name="Result">The instrument's label or failure.</param>
public sealed record TurnLabel(string ConversationId, int TurnIndex, Stage? HumanStage, Answer<DecisionState> Result)
{
    /// <summary>One JSON object: ids, human stage, status, state fields (names in kebab-case), error, raw answer, model call.</summary>
    public string ToJsonLine()
    {
        var s = Result.IsOk ? Result.Value : null;
        var o = new JsonObject
        {
            ["conversation"] = ConversationId,
            ["turn"] = TurnIndex,
            ["human_stage"] = HumanStage is { } h ? StateNames.Of(h) : null,
            ["status"] = Result.Status switch { AnswerStatus.Ok => "ok", AnswerStatus.InvalidAnswer => "invalid_answer", _ => "model_error" },
            ["stage"] = s is null ? null : StateNames.Of(s.Stage),
            ["emotion"] = s?.Emotion is { } e ? StateNames.Of(e) : null,
            ["blocker"] = s?.Blocker is { } b ? StateNames.Of(b) : null,
            ["convergence_delta"] = s?.ConvergenceDelta,
            ["key_signal"] = s?.KeySignal,
            ["key_signal_is_span"] = s?.KeySignalIsSpan,
            ["error"] = Result.Error,
            ["raw"] = Result.RawAnswer,
            ["model"] = Result.Call?.Model,
            ["attempts"] = Result.Call?.Attempts,
        };
        return o.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}

/// <summary>Labels the user turns of a corpus with one instrument.</summary>
public static class InstrumentLabelling
{
    /// <summary>
    /// Labels every user turn (or, with <paramref name="onlyHumanLabelled"/>, those whose acts map to a stage) in corpus
    /// order; failures are included as data.
    /// </summary>
    public static async Task<IReadOnlyList<TurnLabel>> LabelCorpusAsync(IReadOnlyList<Conversation> corpus, IInstrument instrument,
        ActMapping? mapping, bool onlyHumanLabelled, InstrumentValidationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(instrument);
        options ??= new InstrumentValidationOptions();
        var items = new List<(Conversation C, int Turn, Stage? Human)>();
        foreach (var c in corpus)
            for (var i = 0; i < c.Turns.Length; i++)
            {
                if (c.Turns[i].Role != Role.User) continue;
                var human = mapping?.StageOfTurn(c, i);
                if (onlyHumanLabelled && human is null) continue;
                items.Add((c, i, human));
            }
        if (options.Limit is { } limit && limit < items.Count) items = items.Take(limit).ToList();
        options.Progress?.Report($"labelling {items.Count} user turns with {instrument.Name}");
        var results = await InstrumentValidation.LabelAllAsync(instrument, items.Select(x => new LabelRequest(x.C, x.Turn)).ToList(), options, cancellationToken);
        return items.Select((x, i) => new TurnLabel(x.C.Id, x.Turn, x.Human, results[i])).ToArray();
    }
}
