using System.Text.Json;
using Dfid.Instrument;
using Dfid.Models;
using Dfid.Simulation;
using Dfid.Store;
using Microsoft.Data.Sqlite;

namespace Dfid.Tests.Store;

public sealed class RunStoreTests
{
    private static readonly ModelCall Call = new("openai:m", 412, 31, 51.5, CacheHit: false, Attempts: 2);

    [Fact]
    public void AnswerRows_EveryColumnStoredInItsPlace()
    {
        using var store = RunStore.Open(TestData.TempDir());
        var state = new DecisionState(Stage.Considering, Emotion.Positive, Blocker.Price, 0.25, "how much", true);

        store.AddSimulatedTurn("persona", "c1", 3, 1, Answer<string>.Ok("maybe later", Call, "User: maybe later"));
        store.AddLabel("judge", "c1", 3, LabelSource.Simulated("persona"), Answer<DecisionState>.Ok(state, Call with { CacheHit = true }, "{\"stage\":\"considering\"}"));
        store.AddAction("actions", "c1", 2, Answer<AgentAction>.Ok(AgentAction.PushClose, Call));
        store.AddLabel("learned", "c1", 3, LabelSource.Real, Answer<DecisionState>.Failed(AnswerStatus.InvalidAnswer, "schema_violation: /stage"));

        Assert.Equal(["persona", "c1", "3", "1", "maybe later", "Ok", "", "User: maybe later", "openai:m", "412", "31", "51.5", "0", "2"],
            Row(store, "SELECT simulator, conversation_id, turn_index, sample_index, text, status, error, raw, model, prompt_tokens, completion_tokens, latency_ms, cache_hit, attempts FROM sim_turns"));
        Assert.Equal(["judge", "c1", "3", "sim:persona", "3", "Ok", "", "{\"stage\":\"considering\"}", "openai:m", "412", "31", "51.5", "1", "2"],
            Row(store, "SELECT instrument, conversation_id, turn_index, source, stage, status, error, raw, model, prompt_tokens, completion_tokens, latency_ms, cache_hit, attempts FROM labels WHERE source <> 'real'"));
        Assert.Equal(["learned", "c1", "3", "real", "", "", "InvalidAnswer", "schema_violation: /stage", "", "", "", "", "", "", ""],
            Row(store, "SELECT instrument, conversation_id, turn_index, source, stage, state_json, status, error, raw, model, prompt_tokens, completion_tokens, latency_ms, cache_hit, attempts FROM labels WHERE source = 'real'"));
        Assert.Equal(["actions", "c1", "2", "push-close", "Ok", "", "openai:m", "412", "31", "51.5", "0", "2"],
            Row(store, "SELECT labeller, conversation_id, agent_turn_index, action, status, error, model, prompt_tokens, completion_tokens, latency_ms, cache_hit, attempts FROM actions"));
        var stored = JsonSerializer.Deserialize<DecisionState>(Row(store, "SELECT state_json FROM labels WHERE source <> 'real'")[0], RunStore.Json);
        Assert.Equal(state, stored);
        Assert.All(Column(store, "SELECT created_at FROM sim_turns UNION ALL SELECT created_at FROM labels UNION ALL SELECT created_at FROM actions"),
            at => Assert.True(DateTimeOffset.TryParse(at, System.Globalization.CultureInfo.InvariantCulture, out _), at));
    }

    [Fact]
    public void AnswerRows_ModelErrorReplacedByLaterAnswer_OtherAnswersKept()
    {
        using var store = RunStore.Open(TestData.TempDir());

        store.AddSimulatedTurn("persona", "c1", 3, 0, Answer<string>.Failed(AnswerStatus.ModelError, "HTTP 503"));
        store.AddSimulatedTurn("persona", "c1", 3, 0, Answer<string>.Ok("ok then", Call));
        store.AddSimulatedTurn("persona", "c1", 3, 0, Answer<string>.Ok("a second answer", Call));
        store.AddLabel("judge", "c1", 3, LabelSource.Real, Answer<DecisionState>.Failed(AnswerStatus.ModelError, "timeout"));
        store.AddLabel("judge", "c1", 3, LabelSource.Real, Answer<DecisionState>.Ok(new DecisionState(Stage.Resisting), Call));
        store.AddLabel("judge", "c1", 3, LabelSource.Real, Answer<DecisionState>.Ok(new DecisionState(Stage.Deciding), Call));

        Assert.Equal(["ok then", "Ok", ""], Row(store, "SELECT text, status, error FROM sim_turns"));
        Assert.Equal(["0", "Ok"], Row(store, "SELECT stage, status FROM labels"));
    }

    private static string[] Row(RunStore store, string sql)
    {
        using var db = new SqliteConnection($"Data Source={store.FilePath};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        using var rd = cmd.ExecuteReader();
        Assert.True(rd.Read());
        var row = Enumerable.Range(0, rd.FieldCount)
            .Select(i => rd.IsDBNull(i) ? "" : Convert.ToString(rd.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)!).ToArray();
        Assert.False(rd.Read());
        return row;
    }

    private static List<string> Column(RunStore store, string sql)
    {
        using var db = new SqliteConnection($"Data Source={store.FilePath};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        using var rd = cmd.ExecuteReader();
        var list = new List<string>();
        while (rd.Read()) list.Add(rd.GetString(0));
        return list;
    }
}
