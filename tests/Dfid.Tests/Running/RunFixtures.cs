using System.Collections.Immutable;
using System.Text.Json;
using Dfid.Corpus;
using Dfid.Instrument;
using Dfid.Models;

namespace Dfid.Tests.Running;

/// <summary>Small hand-written conversations and fakes for the run tests.</summary>
internal static class RunFixtures
{
    /// <summary>A conversation: agent opens, then alternating; <paramref name="userTurns"/> user turns.</summary>
    public static Conversation Conversation(string id, int userTurns, bool? converted = false, int? decidedAtTurn = null, string? topic = null)
    {
        var turns = ImmutableArray.CreateBuilder<Turn>();
        for (var i = 0; i < userTurns; i++)
        {
            turns.Add(new Turn(Role.Agent, $"{id} agent line {i} {topic}".Trim()));
            turns.Add(new Turn(Role.User, $"{id} user line {i} {topic}".Trim()));
        }
        return new Conversation(id, turns.ToImmutable(), new Outcome(converted, Verified: true, DecidedAtTurn: decidedAtTurn),
            ImmutableSortedDictionary<string, JsonElement>.Empty.Add("age", JsonSerializer.SerializeToElement(41)).Add("sex", JsonSerializer.SerializeToElement("Female")),
            new CorpusSource("fixture"), ImmutableSortedDictionary<string, JsonElement>.Empty);
    }

    /// <summary>Conversations with explicit turn texts (agent first, alternating).</summary>
    public static Conversation FromTexts(string id, bool converted, params string[] texts)
    {
        var turns = texts.Select((t, i) => new Turn(i % 2 == 0 ? Role.Agent : Role.User, t)).ToImmutableArray();
        return new Conversation(id, turns, new Outcome(converted, Verified: true),
            ImmutableSortedDictionary<string, JsonElement>.Empty, new CorpusSource("fixture"), ImmutableSortedDictionary<string, JsonElement>.Empty);
    }
}

/// <summary>A deterministic instrument whose stage depends only on the labelled text (so the same text gives the same label).</summary>
internal sealed class TextHashInstrument(string name = "fake") : IInstrument
{
    private int _calls;

    public string Name { get; } = name;

    public int Calls => Volatile.Read(ref _calls);

    public Func<LabelRequest, Task>? BeforeLabel { get; set; }

    public async Task<LabelResult> LabelAsync(LabelRequest request, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        if (BeforeLabel is not null) await BeforeLabel(request);
        cancellationToken.ThrowIfCancellationRequested();
        var h = 0;
        foreach (var ch in request.LabelledText) h = (h * 31 + ch) & 0x7fffffff;
        return LabelResult.Success(new DecisionState((Stage)(h % 5)), new ModelCall("fake", 10, 2, 1, false, 1));
    }
}
