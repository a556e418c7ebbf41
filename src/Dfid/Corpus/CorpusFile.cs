using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Dfid.Corpus;

/// <summary>Reads and writes <c>dfid.corpus/1</c> files: JSON Lines, one <see cref="Conversation"/> per line.</summary>
/// <remarks>
/// Reading streams: memory stays flat whatever the file size (only the ids seen are kept, to find duplicates).
/// Blank lines are skipped; a UTF-8 BOM is tolerated. All members are thread-safe (no shared state).
/// </remarks>
public static class CorpusFile
{
    /// <summary>How many problems <see cref="ReadAll"/> lists in its exception message before summarising.</summary>
    public const int MaxProblemsInMessage = 50;

    /// <summary>Streams the file line by line: each non-blank line yields its conversation or its problems.</summary>
    /// <param name="path">The corpus file.</param>
    /// <returns>One <see cref="CorpusLine"/> per non-blank line, in file order; problems print as <c>FILE:LINE: reason</c>.</returns>
    /// <exception cref="DfidException">The file does not exist or cannot be opened.</exception>
    public static IEnumerable<CorpusLine> ReadLines(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) Open(path).Dispose(); // throws the user-facing "not found" now, not at the first MoveNext
        return OpenAndIterate(path);
    }

    // The file is opened when enumeration starts, so an enumerable that is never enumerated holds no handle.
    private static IEnumerable<CorpusLine> OpenAndIterate(string path)
    {
        foreach (var line in Iterate(Open(path), path, new CorpusJson.ParseMode(false, null))) yield return line;
    }

    /// <summary>Streams a corpus from any stream (see <see cref="ReadLines(string)"/>); <paramref name="name"/> is used in problems.</summary>
    /// <param name="stream">UTF-8 JSON Lines; disposed when the enumeration ends.</param>
    /// <param name="name">The name printed in <c>NAME:LINE: reason</c>.</param>
    public static IEnumerable<CorpusLine> ReadLines(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        return Iterate(stream, name, new CorpusJson.ParseMode(false, null));
    }

    internal static IEnumerable<CorpusLine> Iterate(Stream stream, string name, CorpusJson.ParseMode mode) =>
        Iterate<Conversation, CorpusLine>(stream, name,
            (ReadOnlyMemory<byte> line, List<string> reasons, out Conversation value) =>
            {
                value = CorpusJson.Parse(line, mode, reasons)!;
                return value is not null;
            },
            c => c.Id,
            (lineNumber, c) => new CorpusLine(lineNumber, c, []),
            (lineNumber, problems) => new CorpusLine(lineNumber, null, problems));

    /// <summary>Streams the facts <c>dfid corpus validate</c> and <c>dfid corpus stats</c> need, line by line, without
    /// building each <see cref="Conversation"/>: two to three times less CPU than <see cref="ReadLines(string)"/>.</summary>
    /// <param name="path">The corpus file.</param>
    /// <returns>One <see cref="CorpusLineFacts"/> per non-blank line, in file order, with exactly the problems
    /// <see cref="ReadLines(string)"/> reports for it.</returns>
    /// <exception cref="DfidException">The file does not exist or cannot be opened.</exception>
    internal static IEnumerable<CorpusLineFacts> ReadFacts(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) Open(path).Dispose(); // throws the user-facing "not found" now, not at the first MoveNext
        return OpenAndIterateFacts(path);
    }

    private static IEnumerable<CorpusLineFacts> OpenAndIterateFacts(string path)
    {
        foreach (var line in IterateFacts(Open(path), path)) yield return line;
    }

    /// <summary>Streams a corpus's facts from any stream (see <see cref="ReadFacts(string)"/>); <paramref name="name"/> is used in problems.</summary>
    /// <param name="stream">UTF-8 JSON Lines; disposed when the enumeration ends.</param>
    /// <param name="name">The name printed in <c>NAME:LINE: reason</c>.</param>
    internal static IEnumerable<CorpusLineFacts> ReadFacts(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        return IterateFacts(stream, name);
    }

    private static IEnumerable<CorpusLineFacts> IterateFacts(Stream stream, string name) =>
        Iterate<ConversationFacts, CorpusLineFacts>(stream, name, ParseFacts, f => f.Id,
            (lineNumber, f) => new CorpusLineFacts(lineNumber, f, []),
            (lineNumber, problems) => new CorpusLineFacts(lineNumber, null, problems));

    /// <summary>The facts of a plainly valid line straight from its bytes; any other line is read in full, so its
    /// problems (or, for a valid line the single pass declined, its facts) are the full reader's.</summary>
    private static bool ParseFacts(ReadOnlyMemory<byte> line, List<string> reasons, out ConversationFacts facts)
    {
        if (Utf8.IsValid(line.Span) && CorpusJsonFacts.TryRead(line.Span, out facts)) return true;
        var conversation = CorpusJson.Parse(line, new CorpusJson.ParseMode(false, null), reasons);
        facts = conversation is null ? default : ConversationFacts.Of(conversation);
        return conversation is not null;
    }

    private delegate bool LineParser<T>(ReadOnlyMemory<byte> line, List<string> reasons, out T value);

    private static IEnumerable<TLine> Iterate<T, TLine>(Stream stream, string name, LineParser<T> parse, Func<T, string> idOf,
        Func<int, T, TLine> valid, Func<int, CorpusProblem[], TLine> invalid)
    {
        // Lines are parsed in batches on all cores (parsing is the cost), then checked for duplicate ids and yielded in
        // file order. Two batches take turns so the serial work overlaps the parsing: the next batch is split and copied
        // out of the reader's buffer while this one is parsed, and this one is handed to the caller while the next is.
        using var _ = stream;
        using var reader = new JsonlLineReader(stream);
        var firstLineOfId = new Dictionary<string, int>(StringComparer.Ordinal);
        var current = new LineBatch<T>(parse);
        var next = new LineBatch<T>(parse);
        current.Fill(reader);
        if (current.Count == 0) yield break;
        var parsing = Task.Run(current.Parse);
        try
        {
            while (true)
            {
                next.Fill(reader);
                parsing.GetAwaiter().GetResult();
                parsing = next.Count > 0 ? Task.Run(next.Parse) : Task.CompletedTask;
                for (var i = 0; i < current.Count; i++)
                {
                    var lineNumber = current.LineNumbers[i];
                    var ok = current.Ok[i];
                    var reasons = current.Reasons[i];
                    if (ok && !firstLineOfId.TryAdd(idOf(current.Values[i]), lineNumber))
                    {
                        var id = idOf(current.Values[i]);
                        (reasons ??= []).Add($"duplicate id \"{id}\" (first used on line {firstLineOfId[id]}); ids must be unique");
                        ok = false;
                    }
                    yield return ok
                        ? valid(lineNumber, current.Values[i])
                        : invalid(lineNumber, reasons!.Select(r => new CorpusProblem(name, lineNumber, r)).ToArray());
                }
                if (next.Count == 0) yield break;
                (current, next) = (next, current);
            }
        }
        finally
        {
            // A caller that stops early must not close the stream under a parse still running (its fault, if any, is moot).
            Task.WhenAny(parsing).Wait();
        }
    }

    /// <summary>A batch of lines copied into one buffer and parsed in parallel.</summary>
    private sealed class LineBatch<T>(LineParser<T> parse)
    {
        public const int MaxLines = 256;
        public const int MaxBytes = 4 << 20;
        private byte[] _buffer = new byte[1 << 16];
        private readonly int[] _starts = new int[MaxLines];
        private readonly int[] _lengths = new int[MaxLines];
        public readonly int[] LineNumbers = new int[MaxLines];
        public readonly T[] Values = new T[MaxLines];
        public readonly bool[] Ok = new bool[MaxLines];
        public readonly List<string>?[] Reasons = new List<string>?[MaxLines];

        public int Count { get; private set; }
        public int Bytes { get; private set; }

        /// <summary>Replaces the batch with the reader's next non-blank lines (up to <see cref="MaxLines"/> or <see cref="MaxBytes"/>).</summary>
        public void Fill(JsonlLineReader reader)
        {
            Clear();
            while (Count < MaxLines && Bytes < MaxBytes && reader.TryReadLine(out var line))
                if (!IsBlank(line.Span)) Add(line.Span, reader.LineNumber);
        }

        private void Clear()
        {
            Array.Clear(Values, 0, Count);
            Array.Clear(Ok, 0, Count);
            Array.Clear(Reasons, 0, Count);
            Count = 0;
            Bytes = 0;
        }

        private void Add(ReadOnlySpan<byte> line, int lineNumber)
        {
            if (Bytes + line.Length > _buffer.Length)
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Bytes + line.Length));
            line.CopyTo(_buffer.AsSpan(Bytes));
            _starts[Count] = Bytes;
            _lengths[Count] = line.Length;
            LineNumbers[Count] = lineNumber;
            Bytes += line.Length;
            Count++;
        }

        public void Parse()
        {
            if (Count < 16 || Environment.ProcessorCount == 1)
            {
                for (var i = 0; i < Count; i++) ParseOne(i);
                return;
            }
            Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, Count, 16), range =>
            {
                for (var i = range.Item1; i < range.Item2; i++) ParseOne(i);
            });
        }

        private void ParseOne(int i)
        {
            var reasons = new List<string>(0);
            Ok[i] = parse(new ReadOnlyMemory<byte>(_buffer, _starts[i], _lengths[i]), reasons, out Values[i]);
            Reasons[i] = reasons.Count > 0 ? reasons : null;
        }
    }

    /// <summary>Reads the whole file; every conversation must be valid.</summary>
    /// <param name="path">The corpus file.</param>
    /// <returns>The conversations in file order.</returns>
    /// <exception cref="DfidException">The file is missing or has problems; the message lists them as <c>FILE:LINE: reason</c>
    /// (the first <see cref="MaxProblemsInMessage"/>, then a count) and says to run <c>dfid corpus validate</c>.</exception>
    public static IReadOnlyList<Conversation> ReadAll(string path)
    {
        var conversations = new List<Conversation>();
        var problems = new List<CorpusProblem>();
        foreach (var line in ReadLines(path))
        {
            if (line.Conversation is { } c) conversations.Add(c);
            else problems.AddRange(line.Problems);
        }
        if (problems.Count > 0) throw new DfidException(DescribeProblems(path, problems), 1);
        return conversations;
    }

    /// <summary>Writes the conversations as a <c>dfid.corpus/1</c> file, replacing it atomically (temp file, then rename).</summary>
    /// <param name="path">The file to write; its folder is created when missing.</param>
    /// <param name="conversations">The conversations, written in order (not validated here: use <see cref="CorpusRules.Check"/>).</param>
    /// <returns>The number of conversations written.</returns>
    public static int Write(string path, IEnumerable<Conversation> conversations)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(conversations);
        return AtomicFile.Write(path, stream => Write(stream, conversations));
    }

    /// <summary>Writes the conversations to a stream as JSON Lines (the stream is left open).</summary>
    /// <returns>The number of conversations written.</returns>
    public static int Write(Stream stream, IEnumerable<Conversation> conversations)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(conversations);
        var buffer = new ArrayBufferWriter<byte>(1 << 16);
        using var writer = new Utf8JsonWriter(buffer, CorpusJson.WriterOptions);
        var count = 0;
        foreach (var c in conversations)
        {
            ArgumentNullException.ThrowIfNull(c);
            CorpusJson.Write(writer, c);
            writer.Flush();
            buffer.Write("\n"u8);
            writer.Reset();
            count++;
            if (buffer.WrittenCount > 1 << 16)
            {
                stream.Write(buffer.WrittenSpan);
                buffer.ResetWrittenCount();
            }
        }
        stream.Write(buffer.WrittenSpan);
        stream.Flush();
        return count;
    }

    /// <summary>One conversation as its <c>dfid.corpus/1</c> line (no trailing newline).</summary>
    public static string ToJsonLine(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        return CorpusJson.ToJson(conversation);
    }

    /// <summary>Parses one <c>dfid.corpus/1</c> line (for example a conversation stored elsewhere as JSON).</summary>
    /// <exception cref="DfidException">The line is not a valid conversation; the message lists every reason.</exception>
    public static Conversation ParseJsonLine(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var reasons = new List<string>();
        var c = CorpusJson.Parse(Encoding.UTF8.GetBytes(json), new CorpusJson.ParseMode(false, null), reasons);
        return c ?? throw new DfidException("not a valid dfid.corpus/1 conversation: " + string.Join("; ", reasons), 1);
    }

    internal static string DescribeProblems(string path, IReadOnlyList<CorpusProblem> problems)
    {
        var sb = new StringBuilder();
        sb.Append(path).Append(" has ").Append(problems.Count).Append(problems.Count == 1 ? " problem" : " problems")
          .Append(" (fix them, or re-import with --skip-invalid to keep only the valid conversations):");
        foreach (var p in problems.Take(MaxProblemsInMessage)) sb.Append('\n').Append(p);
        if (problems.Count > MaxProblemsInMessage)
            sb.Append('\n').Append("... and ").Append(problems.Count - MaxProblemsInMessage).Append(" more (dfid corpus validate ").Append(path).Append(" lists all)");
        return sb.ToString();
    }

    internal static Stream Open(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DfidException($"corpus file not found: {path} (create one with: dfid corpus import --format NAME --in PATH --out {path})", 1, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DfidException($"cannot read {path}: {ex.Message}", 1, ex);
        }
    }

    /// <summary>Whether a JSON Lines line holds only spaces, tabs and carriage returns (such lines are skipped).</summary>
    internal static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r')) return false;
        return true;
    }
}
