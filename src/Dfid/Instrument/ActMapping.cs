using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Dfid.Corpus;
using YamlDotNet.RepresentationModel;

namespace Dfid.Instrument;

/// <summary>One act of a mapping file: what it maps to, how it ranks within a turn, and why.</summary>
/// <typeparam name="T">Stage or agent action.</typeparam>
/// <param name="Act">Normalised act name (trimmed, lower case).</param>
/// <param name="Target">The stage or action, or <c>null</c> when the act carries no such information.</param>
/// <param name="Priority">Rank within a turn: the highest-priority mapped act decides; ties go to the later act.</param>
/// <param name="Reasoning">Why the act maps this way.</param>
public sealed record ActRule<T>(string Act, T? Target, int Priority, string Reasoning) where T : struct, Enum;

/// <summary>What a commitment rule reads in a turn's words (<see cref="CommitmentCues"/>).</summary>
public enum CommitmentCondition
{
    /// <summary><c>refusal</c>: the turn names only a zero amount ("$0", "nothing") or declines ("no thanks", "not
    /// today", "I won't donate"), and names no positive amount.</summary>
    Refusal,

    /// <summary><c>confirms-zero</c>: the turn is a bare yes ("Yes, that's right."), and the agent turn before it names
    /// amounts that are all zero ("So $0 then?"; an option range such as "any amount from $0 to all your payment" names
    /// no amount).</summary>
    ConfirmsZero,
}

/// <summary>
/// An amount-aware exception to the act mapping: when a turn carrying one of <paramref name="Acts"/> meets
/// <paramref name="When"/>, those acts map to <paramref name="Stage"/> instead of their own target (same priority).
/// </summary>
/// <param name="Acts">Normalised act names the rule applies to.</param>
/// <param name="When">The condition on the turn's words.</param>
/// <param name="Stage">The stage the acts take when it holds.</param>
/// <param name="Reasoning">Why.</param>
public sealed record CommitmentRule(ImmutableArray<string> Acts, CommitmentCondition When, Stage Stage, string Reasoning);

/// <summary>
/// Human dialogue acts → decision stages (user turns) and agent actions (agent turns), from a mapping file
/// (format <c>dfid.act-mapping/1</c>); the built-in one is for PersuasionForGood.
/// </summary>
/// <remarks>
/// A turn's annotation holds its distinct acts in sentence order joined by <c>|</c>. The turn takes the target of
/// its highest-priority mapped act, the later act winning ties; acts mapped to <c>null</c> are ignored, and a turn
/// with no mapped act has no label. An act missing from the file is an error, never skipped. The file's
/// <c>commitment_rules</c> (<see cref="CommitmentRules"/>) make commitment acts amount-aware: read from the turn's words,
/// "I'll give $0" or a confirmed refusal is not a commitment.
/// </remarks>
public sealed class ActMapping
{
    /// <summary>The format tag of mapping files.</summary>
    public const string Format = "dfid.act-mapping/1";

    private ActMapping(string dataset, string stageLabelSet, string actionLabelSet,
        ImmutableSortedDictionary<string, ActRule<Stage>> stageActs,
        ImmutableSortedDictionary<string, ActRule<AgentAction>> actionActs,
        ImmutableArray<CommitmentRule> commitmentRules,
        bool objectionAfterResisting, string source, string hash)
    {
        CommitmentRules = commitmentRules;
        Dataset = dataset;
        StageLabelSet = stageLabelSet;
        ActionLabelSet = actionLabelSet;
        StageActs = stageActs;
        ActionActs = actionActs;
        ObjectionAfterResisting = objectionAfterResisting;
        Source = source;
        Hash = hash;
    }

    /// <summary>The built-in PersuasionForGood mapping (persuadee acts → stages, persuader acts → actions).</summary>
    public static ActMapping PersuasionForGood { get; } =
        Parse(StageTaxonomy.ReadEmbedded("persuasionforgood-acts.yaml"), "embedded:persuasionforgood-acts.yaml");

    /// <summary>Dataset the mapping is for.</summary>
    public string Dataset { get; }

    /// <summary>Turn annotation key holding the user acts, e.g. <c>ee_act</c>.</summary>
    public string StageLabelSet { get; }

    /// <summary>Turn annotation key holding the agent acts, e.g. <c>er_act</c>.</summary>
    public string ActionLabelSet { get; }

    /// <summary>User acts by normalised name.</summary>
    public ImmutableSortedDictionary<string, ActRule<Stage>> StageActs { get; }

    /// <summary>Agent acts by normalised name.</summary>
    public ImmutableSortedDictionary<string, ActRule<AgentAction>> ActionActs { get; }

    /// <summary>Amount-aware exceptions for commitment acts, applied to whole turns in <see cref="StageOfTurn"/>.</summary>
    public ImmutableArray<CommitmentRule> CommitmentRules { get; }

    /// <summary>Whether a pitch or reassure right after a resisting user turn counts as handle-objection.</summary>
    public bool ObjectionAfterResisting { get; }

    /// <summary>Where the mapping was loaded from.</summary>
    public string Source { get; }

    /// <summary>SHA-256 (hex) of the mapping text; part of every learned model's training hash.</summary>
    public string Hash { get; }

    /// <summary>Loads a mapping file.</summary>
    /// <exception cref="DfidException">Missing or invalid file.</exception>
    public static ActMapping Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new DfidException($"{path}: mapping file not found; pass an existing file to --mapping.", 2);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses mapping YAML; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="DfidException">The text is not a valid mapping.</exception>
    public static ActMapping Parse(string yaml, string source)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var r = new YamlReader(source);
        string[] keys = ["format", "dataset", "stage_label_set", "action_label_set", "stage_acts", "action_acts", "commitment_rules", "objection_after_resisting"];
        var root = r.Root(yaml, $"an act mapping must be a mapping with keys {string.Join(", ", keys)}");
        r.CheckKeys(root, "", keys);
        var dto = new MappingDto(r.Text(root, "format", ""), r.Text(root, "dataset", ""),
            r.Text(root, "stage_label_set", ""), r.Text(root, "action_label_set", ""),
            ActDtos(r, root, "stage_acts"), ActDtos(r, root, "action_acts"),
            r.Get(root, "objection_after_resisting") is { } o && r.Bool(o, "objection_after_resisting"));
        if (dto.Format is not null && dto.Format != Format)
            throw new DfidException($"{source}: format '{dto.Format}' is not {Format}.", 2);
        var errors = new List<string>();
        var stages = Rules<Stage>(dto.StageActs, a => a.Stage, "stage_acts", errors);
        var actions = Rules<AgentAction>(dto.ActionActs, a => a.Action, "action_acts", errors);
        var commitment = CommitmentRulesOf(r, root, stages, errors);
        if (string.IsNullOrWhiteSpace(dto.StageLabelSet)) errors.Add("stage_label_set is missing");
        if (errors.Count > 0) throw new DfidException($"{source}: invalid act mapping: {string.Join("; ", errors)}.", 2);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(yaml.ReplaceLineEndings("\n"))));
        return new ActMapping(dto.Dataset ?? "", dto.StageLabelSet!.Trim(), dto.ActionLabelSet?.Trim() ?? "",
            stages, actions, commitment, dto.ObjectionAfterResisting, source, hash);
    }

    /// <summary>The same mapping reading the user acts from another annotation key (<c>--label-set</c>).</summary>
    public ActMapping WithStageLabelSet(string labelSet)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(labelSet);
        return new ActMapping(Dataset, labelSet.Trim(), ActionLabelSet, StageActs, ActionActs, CommitmentRules, ObjectionAfterResisting, Source, Hash);
    }

    /// <summary>Normalises an act name: trimmed, lower case.</summary>
    public static string Normalise(string act) => act.Trim().ToLowerInvariant();

    /// <summary>The stage of a joined act annotation (<c>a|b|c</c>), <c>null</c> when no act maps to a stage.</summary>
    /// <exception cref="DfidException">An act is not in the mapping.</exception>
    public Stage? StageOf(string? joinedActs) => Resolve(joinedActs, StageActs, "stage_acts");

    /// <summary>The action of a joined act annotation, before the context rule.</summary>
    /// <exception cref="DfidException">An act is not in the mapping.</exception>
    public AgentAction? ActionOf(string? joinedActs) => Resolve(joinedActs, ActionActs, "action_acts");

    /// <summary>The human stage of user turn <paramref name="turnIndex"/>, from its <see cref="StageLabelSet"/> annotation
    /// and the <see cref="CommitmentRules"/> read from its words (and the agent turn before it).</summary>
    /// <exception cref="DfidException">An act is not in the mapping (the message names conversation, turn and act).</exception>
    public Stage? StageOfTurn(Conversation conversation, int turnIndex)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var turn = conversation.Turns[turnIndex];
        if (turn.Role != Role.User) return null;
        if (CommitmentRules.IsEmpty) return WithPlace(conversation, turnIndex, () => StageOf(Annotation(turn, StageLabelSet)));
        CommitmentCue? cue = null;
        bool? confirmsZero = null;
        bool Holds(CommitmentCondition when)
        {
            cue ??= CommitmentCues.Read(turn.Text);
            return when switch
            {
                CommitmentCondition.Refusal => cue.IsRefusal,
                _ => confirmsZero ??= CommitmentCues.IsBareConfirmation(turn.Text) && PreviousAgentTurn(conversation, turnIndex) is { } agent
                    && CommitmentCues.Read(agent).NamesOnlyZero,
            };
        }
        Stage? Override(string act)
        {
            foreach (var rule in CommitmentRules)
                if (rule.Acts.Contains(act) && Holds(rule.When)) return rule.Stage;
            return null;
        }
        return WithPlace(conversation, turnIndex, () => Resolve(Annotation(turn, StageLabelSet), StageActs, "stage_acts", Override));
    }

    private static string? PreviousAgentTurn(Conversation c, int index)
    {
        for (var i = index - 1; i >= 0; i--)
            if (c.Turns[i].Role == Role.Agent) return c.Turns[i].Text;
        return null;
    }

    /// <summary>The human action of agent turn <paramref name="turnIndex"/>, with the objection-after-resisting rule.</summary>
    /// <exception cref="DfidException">An act is not in the mapping.</exception>
    public AgentAction? ActionOfTurn(Conversation conversation, int turnIndex)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var turn = conversation.Turns[turnIndex];
        if (turn.Role != Role.Agent) return null;
        var action = WithPlace(conversation, turnIndex, () => ActionOf(Annotation(turn, ActionLabelSet)));
        if (ObjectionAfterResisting && action is AgentAction.Pitch or AgentAction.Reassure)
        {
            var prev = conversation.LastTurnBefore(turnIndex, Role.User);
            if (prev >= 0 && StageOfTurn(conversation, prev) == Stage.Resisting) return AgentAction.HandleObjection;
        }
        return action;
    }

    private static string? Annotation(Turn turn, string key) =>
        turn.Annotations is not null && turn.Annotations.TryGetValue(key, out var v) ? v : null;

    private T? WithPlace<T>(Conversation c, int turnIndex, Func<T?> f) where T : struct
    {
        try
        {
            return f();
        }
        catch (DfidException ex)
        {
            throw new DfidException($"conversation {c.Id}, turn {turnIndex}: {ex.Message}", ex.ExitCode, ex);
        }
    }

    private T? Resolve<T>(string? joined, ImmutableSortedDictionary<string, ActRule<T>> rules, string key, Func<string, T?>? overrideOf = null)
        where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(joined)) return null;
        ActRule<T>? best = null;
        T? bestTarget = null;
        foreach (var raw in joined.Split('|'))
        {
            if (string.IsNullOrWhiteSpace(raw)) continue;
            var act = Normalise(raw);
            if (!rules.TryGetValue(act, out var rule))
                throw new DfidException($"act '{raw.Trim()}' is not in {Source} ({key}); add it with its target and reasoning.", 1);
            if (rule.Target is null) continue;
            if (best is null || rule.Priority >= best.Priority)
            {
                best = rule;
                bestTarget = overrideOf?.Invoke(act) ?? rule.Target;
            }
        }
        return bestTarget;
    }

    private static ImmutableArray<CommitmentRule> CommitmentRulesOf(YamlReader r, YamlMappingNode root,
        ImmutableSortedDictionary<string, ActRule<Stage>> stageActs, List<string> errors)
    {
        var list = ImmutableArray.CreateBuilder<CommitmentRule>();
        foreach (var item in r.Items(root, "commitment_rules", ""))
        {
            r.CheckKeys(item, "commitment_rules", ["acts", "when", "stage", "reasoning"]);
            var acts = r.Get(item, "acts") is { } a
                ? r.Sequence(a, "commitment_rules.acts").Children.Select(x => Normalise(r.Scalar(x, "commitment_rules.acts"))).ToImmutableArray()
                : [];
            var when = r.Text(item, "when", "commitment_rules")?.Trim();
            var stage = r.Text(item, "stage", "commitment_rules");
            var reasoning = r.Text(item, "reasoning", "commitment_rules")?.Trim();
            var label = $"commitment_rules ({string.Join(", ", acts)})";
            if (acts.IsEmpty) errors.Add($"{label}: a rule lists no acts");
            foreach (var act in acts)
                if (!stageActs.ContainsKey(act)) errors.Add($"{label}: act '{act}' is not in stage_acts");
            CommitmentCondition? condition = when switch
            {
                "refusal" => CommitmentCondition.Refusal,
                "confirms-zero" => CommitmentCondition.ConfirmsZero,
                _ => null,
            };
            if (condition is null) errors.Add($"{label}: when '{when}' is not one of refusal, confirms-zero");
            if (!StateNames.TryParse(stage, out Stage target)) errors.Add($"{label}: unknown stage '{stage}' (known: {string.Join(", ", StateNames.All<Stage>())})");
            if (string.IsNullOrWhiteSpace(reasoning)) errors.Add($"{label}: no reasoning");
            if (condition is { } c && !acts.IsEmpty) list.Add(new CommitmentRule(acts, c, target, reasoning ?? ""));
        }
        return list.ToImmutable();
    }

    private static ImmutableSortedDictionary<string, ActRule<T>> Rules<T>(
        List<ActDto> list, Func<ActDto, string?> target, string key, List<string> errors) where T : struct, Enum
    {
        var b = ImmutableSortedDictionary.CreateBuilder<string, ActRule<T>>(StringComparer.Ordinal);
        foreach (var a in list)
        {
            if (string.IsNullOrWhiteSpace(a.Act)) { errors.Add($"{key}: an entry has no act"); continue; }
            var act = Normalise(a.Act);
            if (string.IsNullOrWhiteSpace(a.Reasoning)) errors.Add($"{key}: act '{act}' has no reasoning");
            T? value = null;
            var t = target(a);
            if (t is not null && !string.Equals(t.Trim(), "null", StringComparison.OrdinalIgnoreCase))
            {
                if (StateNames.TryParseGeneric(t, out T v)) value = v;
                else errors.Add($"{key}: act '{act}': unknown target '{t}' (known: {string.Join(", ", StateNames.All<T>())})");
            }
            if (value is not null && a.Priority is null) errors.Add($"{key}: act '{act}' has no priority");
            if (!b.TryAdd(act, new ActRule<T>(act, value, a.Priority ?? 0, a.Reasoning?.Trim() ?? "")))
                errors.Add($"{key}: act '{act}' is listed twice");
        }
        return b.ToImmutable();
    }

    private static List<ActDto> ActDtos(YamlReader r, YamlMappingNode root, string key) =>
    [
        .. r.Items(root, key, "").Select(a =>
        {
            r.CheckKeys(a, key, ["act", "stage", "action", "priority", "reasoning"]);
            return new ActDto(r.Text(a, "act", key), r.Text(a, "stage", key), r.Text(a, "action", key),
                r.Get(a, "priority") is { } p ? r.Int(p, key + ".priority", int.MinValue) : null, r.Text(a, "reasoning", key));
        }),
    ];

    private sealed record MappingDto(string? Format, string? Dataset, string? StageLabelSet, string? ActionLabelSet,
        List<ActDto> StageActs, List<ActDto> ActionActs, bool ObjectionAfterResisting);

    private sealed record ActDto(string? Act, string? Stage, string? Action, int? Priority, string? Reasoning);
}
