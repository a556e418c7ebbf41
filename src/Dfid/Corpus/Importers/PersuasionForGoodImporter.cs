using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Dfid.Corpus.Importers;

/// <summary>Imports PersuasionForGood (Wang et al., 2019): a folder with <c>full_dialog.csv</c> and <c>full_info.csv</c>,
/// plus <c>300_dialog.csv</c>/<c>300_info.csv</c> when present for the human-annotated subset.</summary>
/// <remarks>
/// Sentences are grouped by (dialogue <c>B2</c>, <c>Turn</c>, role <c>B4</c>) into turns; in each turn index the persuader
/// (<c>B4</c> = 0, agent) speaks before the persuadee (<c>B4</c> = 1, user). The outcome is the persuadee's actual donation
/// <c>B6</c> (converted when &gt; 0, verified: it was deducted from the task payment). The source marks no decision event
/// inside the chat (the donation happened afterwards), so nothing is cut. Annotations follow the project convention:
/// <c>ee_act</c>/<c>er_act</c> = the distinct non-empty acts of the turn's sentences in order, joined by <c>|</c>.
/// </remarks>
public sealed class PersuasionForGoodImporter : ICorpusImporter
{
    /// <summary>The dataset and folder name.</summary>
    public const string DatasetName = "persuasionforgood";

    /// <summary>The $2 task payment: larger donations are data errors in the source, flagged in <c>meta</c>.</summary>
    public const double TaskPayment = 2.0;

    /// <inheritdoc/>
    public string Format => DatasetName;

    /// <inheritdoc/>
    public string Description => "PersuasionForGood folder (full_dialog.csv, full_info.csv, optional 300_dialog.csv/300_info.csv)";

    /// <inheritdoc/>
    public CorpusImport Import(CorpusImportRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var folder = request.InputPath;
        if (!Directory.Exists(folder))
            throw new DfidException($"PersuasionForGood folder not found: {folder} (pass --in DIR with full_dialog.csv and full_info.csv)", 2);
        var collector = new ImportCollector();
        var dialogPath = Path.Combine(folder, "full_dialog.csv");
        var infoPath = Path.Combine(folder, "full_info.csv");
        var dialog = CsvTable.Load(dialogPath);
        var info = CsvTable.Load(infoPath);
        cancellationToken.ThrowIfCancellationRequested();

        var participants = ReadParticipants(info, collector);
        var labels = new Dictionary<(string, int, int), string>();
        var intended = new Dictionary<string, double>(StringComparer.Ordinal);
        var annotatedDialogues = new HashSet<string>(StringComparer.Ordinal);
        var annotatedDialogPath = Path.Combine(folder, "300_dialog.csv");
        if (File.Exists(annotatedDialogPath))
        {
            ReadLabels(CsvTable.Load(annotatedDialogPath), labels, annotatedDialogues, collector);
            var annotatedInfoPath = Path.Combine(folder, "300_info.csv");
            if (File.Exists(annotatedInfoPath)) ReadIntended(CsvTable.Load(annotatedInfoPath), intended, collector);
            else collector.Note("300_info.csv is missing: intended donations (B5) are not imported");
        }
        else collector.Note("300_dialog.csv is missing: no human labels attached");
        cancellationToken.ThrowIfCancellationRequested();

        // Sentences by dialogue, in file order.
        int cUnit = dialog.RequiredColumn("Unit"), cTurn = dialog.RequiredColumn("Turn"), cRole = dialog.RequiredColumn("B4"), cId = dialog.RequiredColumn("B2");
        var dialogues = new Dictionary<string, List<(int Turn, int Role, string Text, int Line)>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var r in dialog.Records)
        {
            if (r.Fields.Length <= Math.Max(Math.Max(cUnit, cTurn), Math.Max(cRole, cId)))
            {
                collector.Problem(dialog.Name, r.Line, $"expected {dialog.Header.Length} fields, found {r.Fields.Length}");
                continue;
            }
            if (!TryInt(r.Fields[cTurn], out var turn) || !TryInt(r.Fields[cRole], out var role) || role is not (0 or 1))
            {
                collector.Problem(dialog.Name, r.Line, $"Turn \"{r.Fields[cTurn]}\" and B4 \"{r.Fields[cRole]}\" must be a turn number and 0 (persuader) or 1 (persuadee)");
                continue;
            }
            var id = r.Fields[cId];
            if (!dialogues.TryGetValue(id, out var list))
            {
                dialogues[id] = list = [];
                order.Add(id);
            }
            list.Add((turn, role, r.Fields[cUnit], r.Line));
        }

        var usedLabels = 0;
        var aboveTaskPayment = 0;
        var noProfile = new List<string>();
        foreach (var id in order)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sentences = dialogues[id];
            var firstLine = sentences[0].Line;
            if (!participants.TryGetValue(id, out var who) || who.Persuadee is null)
            {
                collector.Problem(dialog.Name, firstLine, $"dialogue \"{id}\" has no persuadee row (B4 = 1) in full_info.csv; it cannot get an outcome");
                continue;
            }
            var persuadee = who.Persuadee.Value;
            var annotated = annotatedDialogues.Contains(id);
            var turns = ImmutableArray.CreateBuilder<Turn>();
            // Stable sort: persuader before persuadee within a turn index, sentences in file order.
            foreach (var group in sentences.Select((s, i) => (s, i)).OrderBy(x => x.s.Turn).ThenBy(x => x.s.Role).ThenBy(x => x.i)
                         .GroupBy(x => (x.s.Turn, x.s.Role), x => x.s))
            {
                var text = JoinSentences(group.Select(s => s.Text));
                if (text.Length == 0) continue;
                var (turnIndex, role) = group.Key;
                ImmutableSortedDictionary<string, string>? annotations = null;
                if (annotated && labels.TryGetValue((id, turnIndex, role), out var acts))
                {
                    annotations = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
                        [KeyValuePair.Create(role == 1 ? "ee_act" : "er_act", acts)]);
                    usedLabels++;
                }
                turns.Add(new Turn(role == 1 ? Role.User : Role.Agent, text, null, annotations));
            }

            var donation = persuadee.Donation;
            var meta = new JsonMapBuilder()
                .Add("annotated", annotated)
                .Add("donation_above_task_payment", donation > TaskPayment)
                .Add("persuadee_id", persuadee.UserId);
            if (who.Persuader is { } persuader) meta.Add("persuader_id", persuader.UserId);
            if (intended.TryGetValue(id, out var b5)) meta.Add("intended_donation", b5);
            if (persuadee.Profile.Count == 0)
            {
                meta.Add("profile_missing", true);
                noProfile.Add(id);
            }
            if (donation > TaskPayment) aboveTaskPayment++;

            collector.Add(new Conversation(
                id,
                turns.ToImmutable(),
                new Outcome(donation > 0, donation, Verified: true),
                persuadee.Profile,
                new CorpusSource(DatasetName, "Apache-2.0"),
                meta.ToImmutable()), dialog.Name, firstLine);
        }
        foreach (var id in participants.Keys.Where(k => !dialogues.ContainsKey(k)))
            collector.Problem(info.Name, participants[id].Line, $"dialogue \"{id}\" is in full_info.csv but has no sentences in full_dialog.csv");
        if (aboveTaskPayment > 0)
            collector.Note($"{aboveTaskPayment} donations are above the ${TaskPayment:0} task payment (source data errors): flagged meta.donation_above_task_payment = true, counted as donors");
        if (noProfile.Count > 0)
            collector.Note($"{noProfile.Count} persuadees have no *.x profile fields in full_info.csv (flagged meta.profile_missing = true): {string.Join(", ", noProfile)}");
        if (labels.Count > usedLabels)
            collector.Note($"{labels.Count - usedLabels} labelled turns of 300_dialog.csv have no matching (B2, Turn, B4) turn in full_dialog.csv and were not attached");
        return collector.Result();
    }

    private readonly record struct Participant(string UserId, double Donation, ImmutableSortedDictionary<string, JsonElement> Profile);

    private sealed class Pair
    {
        public int Line;
        public Participant? Persuader;
        public Participant? Persuadee;
    }

    private static Dictionary<string, Pair> ReadParticipants(CsvTable info, ImportCollector collector)
    {
        int cId = info.RequiredColumn("B2"), cUser = info.RequiredColumn("B3"), cRole = info.RequiredColumn("B4"), cDonation = info.RequiredColumn("B6");
        var profileColumns = info.Header.Select((h, i) => (h, i)).Where(x => x.h.EndsWith(".x", StringComparison.Ordinal)).ToArray();
        var result = new Dictionary<string, Pair>(StringComparer.Ordinal);
        foreach (var r in info.Records)
        {
            if (r.Fields.Length != info.Header.Length)
            {
                collector.Problem(info.Name, r.Line, $"expected {info.Header.Length} fields, found {r.Fields.Length}");
                continue;
            }
            if (!TryInt(r.Fields[cRole], out var role) || role is not (0 or 1))
            {
                collector.Problem(info.Name, r.Line, $"B4 must be 0 (persuader) or 1 (persuadee), not \"{r.Fields[cRole]}\"");
                continue;
            }
            if (!TryDouble(r.Fields[cDonation], out var donation) || donation < 0)
            {
                collector.Problem(info.Name, r.Line, $"B6 (actual donation) must be a non-negative number, not \"{r.Fields[cDonation]}\"");
                continue;
            }
            var profile = new JsonMapBuilder();
            foreach (var (h, i) in profileColumns)
            {
                var raw = r.Fields[i].Trim();
                if (raw.Length == 0) continue; // unknown, not an empty string
                if (TryDouble(raw, out var number)) profile.Add(h[..^2], number);
                else profile.Add(h[..^2], raw);
            }
            var id = r.Fields[cId];
            if (!result.TryGetValue(id, out var pair)) result[id] = pair = new Pair { Line = r.Line };
            var participant = new Participant(r.Fields[cUser], donation, profile.ToImmutable());
            if (role == 1)
            {
                if (pair.Persuadee is not null) collector.Problem(info.Name, r.Line, $"dialogue \"{id}\" has a second persuadee row; the first is used");
                else pair.Persuadee = participant;
            }
            else if (pair.Persuader is null) pair.Persuader = participant;
        }
        return result;
    }

    private static void ReadLabels(CsvTable table, Dictionary<(string, int, int), string> labels, HashSet<string> dialogues, ImportCollector collector)
    {
        int cId = table.RequiredColumn("B2"), cTurn = table.RequiredColumn("Turn"), cRole = table.RequiredColumn("B4");
        int[] er = [table.RequiredColumn("er_label_1"), table.RequiredColumn("er_label_2")];
        int[] ee = [table.RequiredColumn("ee_label_1"), table.RequiredColumn("ee_label_2")];
        var acts = new Dictionary<(string, int, int), List<string>>();
        foreach (var r in table.Records)
        {
            if (r.Fields.Length != table.Header.Length)
            {
                collector.Problem(table.Name, r.Line, $"expected {table.Header.Length} fields, found {r.Fields.Length}");
                continue;
            }
            if (!TryInt(r.Fields[cTurn], out var turn) || !TryInt(r.Fields[cRole], out var role) || role is not (0 or 1))
            {
                collector.Problem(table.Name, r.Line, $"Turn \"{r.Fields[cTurn]}\" and B4 \"{r.Fields[cRole]}\" must be a turn number and 0 or 1");
                continue;
            }
            var id = r.Fields[cId];
            dialogues.Add(id);
            var key = (id, turn, role);
            if (!acts.TryGetValue(key, out var list)) acts[key] = list = [];
            foreach (var c in role == 1 ? ee : er)
            {
                var act = r.Fields[c].Trim();
                if (act.Length > 0 && !list.Contains(act)) list.Add(act);
            }
        }
        foreach (var (key, list) in acts)
            if (list.Count > 0) labels[key] = string.Join('|', list);
    }

    private static void ReadIntended(CsvTable table, Dictionary<string, double> intended, ImportCollector collector)
    {
        int cId = table.RequiredColumn("B2"), cRole = table.RequiredColumn("B4"), cIntended = table.RequiredColumn("B5");
        foreach (var r in table.Records)
        {
            if (r.Fields.Length != table.Header.Length)
            {
                collector.Problem(table.Name, r.Line, $"expected {table.Header.Length} fields, found {r.Fields.Length}");
                continue;
            }
            if (r.Fields[cRole].Trim() is not ("1" or "1.0")) continue; // only the persuadee's intention matters
            var raw = r.Fields[cIntended].Trim();
            if (raw.Length == 0) continue;
            if (TryDouble(raw, out var b5)) intended[r.Fields[cId]] = b5;
            else collector.Problem(table.Name, r.Line, $"B5 (intended donation) must be a number, not \"{raw}\"");
        }
    }

    private static string JoinSentences(IEnumerable<string> sentences)
    {
        var sb = new StringBuilder();
        foreach (var s in sentences)
        {
            var t = s.Trim();
            if (t.Length == 0) continue;
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(t);
        }
        return sb.ToString();
    }

    private static bool TryInt(string s, out int value)
    {
        if (int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out value)) return true;
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue)
        {
            value = (int)d;
            return true;
        }
        return false;
    }

    private static bool TryDouble(string s, out double value) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}
