using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace Dfid.Corpus.Importers;

/// <summary>Imports long-format CSV (<c>--format csv</c>): one row per turn, <c>conversation_id,turn_index,role,text[,time]</c>,
/// plus outcomes from <c>--outcomes FILE.csv</c> (<c>conversation_id,converted[,value,verified,decided_at_turn,decided_at_time]</c>).</summary>
/// <remarks>
/// Turns are ordered by <c>turn_index</c>; roles are <c>agent</c> (or <c>assistant</c>), <c>user</c> and <c>system</c>.
/// <c>converted</c> and <c>verified</c> accept true/false, 1/0, yes/no (empty: unknown for converted, false for verified).
/// <c>decided_at_turn</c> is the <c>turn_index</c> of the decision event: turns from that index on are cut and counted in
/// <c>meta.dropped_turns</c>. Outcome columns named <c>profile.KEY</c> or <c>meta.KEY</c> fill the profile (numbers stay numbers)
/// and meta. Without <c>--outcomes</c> every outcome is unknown.
/// </remarks>
public sealed class CsvImporter : ICorpusImporter
{
    /// <inheritdoc/>
    public string Format => "csv";

    /// <inheritdoc/>
    public string Description => "long CSV conversation_id,turn_index,role,text[,time] with --outcomes conversation_id,converted[,value,verified,decided_at_turn]";

    private sealed record Row(int Line, double Index, Turn Turn);

    /// <inheritdoc/>
    public CorpusImport Import(CorpusImportRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var collector = new ImportCollector();
        var turnsTable = CsvTable.Load(request.InputPath);
        int cId = turnsTable.RequiredColumn("conversation_id"), cIndex = turnsTable.RequiredColumn("turn_index"),
            cRole = turnsTable.RequiredColumn("role"), cText = turnsTable.RequiredColumn("text"), cTime = turnsTable.Column("time");
        var byConversation = new Dictionary<string, List<Row>>(StringComparer.Ordinal);
        var broken = new HashSet<string>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var r in turnsTable.Records)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (r.Fields.Length != turnsTable.Header.Length)
            {
                collector.Problem(turnsTable.Name, r.Line, $"expected {turnsTable.Header.Length} fields, found {r.Fields.Length} (quote text that holds commas)");
                if (r.Fields.Length > cId) broken.Add(r.Fields[cId]);
                continue;
            }
            var id = r.Fields[cId];
            if (!byConversation.TryGetValue(id, out var rows))
            {
                byConversation[id] = rows = [];
                order.Add(id);
            }
            if (!double.TryParse(r.Fields[cIndex], NumberStyles.Float, CultureInfo.InvariantCulture, out var index))
            {
                collector.Problem(turnsTable.Name, r.Line, $"turn_index must be a number, not \"{r.Fields[cIndex]}\"");
                broken.Add(id);
                continue;
            }
            Role role;
            switch (r.Fields[cRole].Trim().ToLowerInvariant())
            {
                case "agent" or "assistant": role = Role.Agent; break;
                case "user": role = Role.User; break;
                case "system": role = Role.System; break;
                default:
                    collector.Problem(turnsTable.Name, r.Line, $"unknown role \"{r.Fields[cRole]}\" (use agent, user or system)");
                    broken.Add(id);
                    continue;
            }
            var time = cTime >= 0 && r.Fields[cTime].Length > 0 ? r.Fields[cTime] : null;
            rows.Add(new Row(r.Line, index, new Turn(role, r.Fields[cText], time)));
        }

        var outcomes = request.OutcomesPath is { } op ? ReadOutcomes(op, collector) : null;
        if (outcomes is null) collector.Note("no --outcomes file: every outcome is unknown (converted = null)");
        var withoutOutcome = 0;
        foreach (var id in order)
        {
            if (broken.Contains(id))
            {
                collector.Problem(turnsTable.Name, byConversation[id][0].Line, $"conversation \"{id}\" is skipped: some of its rows are invalid (see above)");
                continue;
            }
            var rows = byConversation[id].OrderBy(r => r.Index).ToList();
            var duplicate = rows.Zip(rows.Skip(1)).FirstOrDefault(p => p.First.Index == p.Second.Index);
            if (duplicate.First is not null)
            {
                collector.Problem(turnsTable.Name, duplicate.Second.Line, $"conversation \"{id}\": turn_index {duplicate.Second.Index} appears twice (first on line {duplicate.First.Line})");
                continue;
            }
            var outcome = new Outcome(null);
            var profile = CorpusMeta.EmptyMap;
            var meta = CorpusMeta.EmptyMap;
            if (outcomes is not null)
            {
                if (outcomes.Remove(id, out var o))
                {
                    profile = o.Profile;
                    meta = o.Meta;
                    int? decidedAt = null;
                    if (o.DecidedAtIndex is double at)
                    {
                        decidedAt = rows.Count(r => r.Index < at);
                        if (at > rows[^1].Index + 1)
                        {
                            collector.Problem(o.File, o.Line, $"conversation \"{id}\": decided_at_turn {at} is past its last turn_index {rows[^1].Index} (outcome marker past the end)");
                            continue;
                        }
                    }
                    outcome = new Outcome(o.Converted, o.Value, o.Verified, decidedAt, o.DecidedAtTime);
                }
                else withoutOutcome++;
            }
            collector.Add(new Conversation(id, [.. rows.Select(r => r.Turn)], outcome, profile,
                new CorpusSource(Path.GetFileNameWithoutExtension(request.InputPath)), meta), turnsTable.Name, rows[0].Line);
        }
        if (withoutOutcome > 0) collector.Note($"{withoutOutcome} conversations have no row in the outcomes file: their outcome is unknown");
        if (outcomes is not null)
            foreach (var (id, o) in outcomes)
                collector.Problem(o.File, o.Line, $"outcome for conversation \"{id}\" which has no turns in {turnsTable.Name}");
        return collector.Result();
    }

    private sealed record OutcomeRow(string File, int Line, bool? Converted, double? Value, bool Verified, double? DecidedAtIndex, string? DecidedAtTime,
        ImmutableSortedDictionary<string, JsonElement> Profile, ImmutableSortedDictionary<string, JsonElement> Meta);

    private static Dictionary<string, OutcomeRow> ReadOutcomes(string path, ImportCollector collector)
    {
        var table = CsvTable.Load(path);
        int cId = table.RequiredColumn("conversation_id"), cConverted = table.RequiredColumn("converted"), cValue = table.Column("value"),
            cVerified = table.Column("verified"), cAt = table.Column("decided_at_turn"), cAtTime = table.Column("decided_at_time");
        var profileColumns = table.Header.Select((h, i) => (h, i)).Where(x => x.h.StartsWith("profile.", StringComparison.Ordinal)).ToArray();
        var metaColumns = table.Header.Select((h, i) => (h, i)).Where(x => x.h.StartsWith("meta.", StringComparison.Ordinal)).ToArray();
        var result = new Dictionary<string, OutcomeRow>(StringComparer.Ordinal);
        foreach (var r in table.Records)
        {
            if (r.Fields.Length != table.Header.Length)
            {
                collector.Problem(table.Name, r.Line, $"expected {table.Header.Length} fields, found {r.Fields.Length}");
                continue;
            }
            string Field(int c) => c >= 0 ? r.Fields[c].Trim() : "";
            var problems = new List<string>();
            var converted = ParseBool(Field(cConverted), "converted", problems);
            var verified = ParseBool(Field(cVerified), "verified", problems) ?? false;
            var value = ParseNumber(Field(cValue), "value", problems);
            var at = ParseNumber(Field(cAt), "decided_at_turn", problems);
            var id = Field(cId);
            if (result.ContainsKey(id)) problems.Add($"conversation \"{id}\" has a second outcome row");
            foreach (var p in problems) collector.Problem(table.Name, r.Line, p);
            if (problems.Count > 0) continue;
            var profile = ImmutableSortedDictionary.CreateBuilder<string, JsonElement>(StringComparer.Ordinal);
            foreach (var (h, i) in profileColumns)
                if (r.Fields[i].Trim() is { Length: > 0 } v)
                    profile[h["profile.".Length..]] = double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n)
                        ? CorpusMeta.Number(n) : CorpusMeta.Text(v);
            var meta = ImmutableSortedDictionary.CreateBuilder<string, JsonElement>(StringComparer.Ordinal);
            foreach (var (h, i) in metaColumns)
                if (r.Fields[i].Trim() is { Length: > 0 } v) meta[h["meta.".Length..]] = CorpusMeta.Text(v);
            result[id] = new OutcomeRow(table.Name, r.Line, converted, value, verified, at,
                Field(cAtTime) is { Length: > 0 } t ? t : null, profile.ToImmutable(), meta.ToImmutable());
        }
        return result;
    }

    private static bool? ParseBool(string s, string column, List<string> problems)
    {
        switch (s.ToLowerInvariant())
        {
            case "": return null;
            case "true" or "1" or "yes" or "y": return true;
            case "false" or "0" or "no" or "n": return false;
            default:
                problems.Add($"{column} must be true/false, 1/0, yes/no or empty, not \"{s}\"");
                return null;
        }
    }

    private static double? ParseNumber(string s, string column, List<string> problems)
    {
        if (s.Length == 0) return null;
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)) return v;
        problems.Add($"{column} must be a number, not \"{s}\"");
        return null;
    }
}
