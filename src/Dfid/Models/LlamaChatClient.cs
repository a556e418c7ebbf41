using System.Runtime.CompilerServices;
using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;
using Microsoft.Extensions.AI;

namespace Dfid.Models;

/// <summary>
/// A local GGUF model on the CPU (LLamaSharp) as an <see cref="IChatClient"/>, keeping one context whose KV cache is
/// reused across requests: the new prompt's tokens are compared with the tokens already evaluated, the diverging tail
/// is removed from the KV cache and only the new suffix is evaluated. Probes of one conversation share its history, so
/// each probe costs little more than its new turns.
/// </summary>
/// <remarks>
/// Requests are served one at a time (one context). A <see cref="ChatResponseFormatJson"/> with a schema becomes a GBNF
/// grammar (<see cref="GbnfGrammar"/>). Messages are rendered with the model's chat template when the file has one,
/// otherwise with a fixed plain template.
/// </remarks>
internal sealed class LlamaChatClient : IChatClient
{
    public const string PromptRequestedKey = "dfid.local_prompt_requested";
    public const string PromptEvaluatedKey = "dfid.local_prompt_evaluated";
    private const int DefaultMaxTokens = 256;
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<LLamaToken> _evaluated = [];
    private readonly bool _hasTemplate;
    private readonly string _path;
    private long _requested, _evaluatedCount;

    public LlamaChatClient(string path, int? contextSize, int? threads)
    {
        LlamaNative.EnsureQuiet();
        _path = path;
        var p = new ModelParams(path)
        {
            GpuLayerCount = 0,
            BatchSize = 512,
        };
        if (threads is { } t)
        {
            p.Threads = t;
            p.BatchThreads = t;
        }
        try
        {
            _weights = LLamaWeights.LoadFromFile(p);
            p.ContextSize = (uint)(contextSize ?? DefaultContextSize(_weights.ContextSize));
            _context = _weights.CreateContext(p);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new DfidException($"gguf model '{path}' could not be loaded: {ex.Message}. Check the file (re-download it with dfid models pull).", 1, ex);
        }
        _hasTemplate = _weights.Metadata.ContainsKey("tokenizer.chat_template");
        Metadata = new ChatClientMetadata("gguf", null, Path.GetFileName(path));
    }

    public ChatClientMetadata Metadata { get; }

    /// <summary>
    /// The context a spec without <c>context_size</c> gets: the length the model was trained for, at most 8,192 tokens (a
    /// long-context model's full window would take gigabytes of KV cache), or 2,048 when the file does not say.
    /// </summary>
    public static int DefaultContextSize(int trainedContext) => trainedContext > 0 ? Math.Min(trainedContext, 8192) : 2048;

    /// <summary>Prompt tokens of all requests so far.</summary>
    public long PromptTokensRequested => Interlocked.Read(ref _requested);

    /// <summary>Prompt tokens actually evaluated (the rest came from the KV cache).</summary>
    public long PromptTokensEvaluated => Interlocked.Read(ref _evaluatedCount);

    public int ContextSize => (int)_context.ContextSize;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder();
        ChatResponseUpdate? final = null;
        await foreach (var u in Generate(messages, options, cancellationToken))
        {
            text.Append(u.Text);
            if (u.FinishReason is not null) final = u;
        }
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString()))
        {
            FinishReason = final?.FinishReason ?? ChatFinishReason.Stop,
            Usage = final?.Contents.OfType<UsageContent>().FirstOrDefault()?.Details,
            AdditionalProperties = final?.AdditionalProperties,
            ModelId = Metadata.DefaultModelId,
        };
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Generate(messages, options, cancellationToken);

    private async IAsyncEnumerable<ChatResponseUpdate> Generate(IEnumerable<ChatMessage> messages, ChatOptions? options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var prompt = _context.Tokenize(Render(messages), addBos: true, special: true);
            var maxTokens = options?.MaxOutputTokens ?? DefaultMaxTokens;
            if (prompt.Length + maxTokens > _context.ContextSize)
                throw new ModelCallException($"gguf:{_path}", ModelFailureKind.BadRequest, 1, null,
                    $"the prompt ({prompt.Length} tokens) plus max_tokens ({maxTokens}) exceeds the context size ({_context.ContextSize}); raise ;context_size= in the spec or shorten the prompt");
            var evaluated = EvaluatePrompt(prompt, cancellationToken);
            Interlocked.Add(ref _requested, prompt.Length);
            Interlocked.Add(ref _evaluatedCount, evaluated);

            using var sampler = new DefaultSamplingPipeline
            {
                Temperature = options?.Temperature ?? 0.8f,
                TopP = options?.TopP ?? 0.95f,
                Seed = unchecked((uint)(options?.Seed ?? 42)),
                Grammar = GrammarFor(options?.ResponseFormat),
            };
            var decoder = new StreamingTokenDecoder(_context);
            var vocab = _weights.NativeHandle.Vocab;
            var generated = 0;
            var finish = ChatFinishReason.Length;
            var batch = new LLamaBatch();
            while (generated < maxTokens)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var token = sampler.Sample(_context.NativeHandle, -1);
                if (token.IsEndOfGeneration(vocab))
                {
                    finish = ChatFinishReason.Stop;
                    break;
                }
                generated++;
                decoder.Add(token);
                var text = decoder.Read();
                if (text.Length > 0) yield return new ChatResponseUpdate(ChatRole.Assistant, text);
                batch.Clear();
                batch.Add(token, _evaluated.Count, LLamaSeqId.Zero, true);
                Decode(batch);
                _evaluated.Add(token);
            }
            yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails
            {
                InputTokenCount = prompt.Length,
                OutputTokenCount = generated,
                TotalTokenCount = prompt.Length + generated,
            })])
            {
                FinishReason = finish,
                AdditionalProperties = new() { [PromptRequestedKey] = (long)prompt.Length, [PromptEvaluatedKey] = (long)evaluated },
            };
        }
        finally { _gate.Release(); }
    }

    /// <summary>Evaluates the part of <paramref name="prompt"/> not already in the KV cache; returns how many tokens that was.</summary>
    private int EvaluatePrompt(LLamaToken[] prompt, CancellationToken cancellationToken)
    {
        var common = 0;
        while (common < _evaluated.Count && common < prompt.Length && _evaluated[common] == prompt[common]) common++;
        // The last prompt token is always evaluated again: its logits start the generation.
        if (common == prompt.Length) common--;
        if (common < _evaluated.Count)
        {
            _context.NativeHandle.MemorySequenceRemove(LLamaSeqId.Zero, common, -1);
            _evaluated.RemoveRange(common, _evaluated.Count - common);
        }
        var batch = new LLamaBatch();
        var batchSize = (int)_context.BatchSize;
        for (var i = common; i < prompt.Length; i += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            batch.Clear();
            var end = Math.Min(prompt.Length, i + batchSize);
            for (var j = i; j < end; j++) batch.Add(prompt[j], j, LLamaSeqId.Zero, j == prompt.Length - 1);
            Decode(batch);
            for (var j = i; j < end; j++) _evaluated.Add(prompt[j]);
        }
        return prompt.Length - common;
    }

    private void Decode(LLamaBatch batch)
    {
        var result = _context.NativeHandle.Decode(batch);
        if (result != DecodeResult.Ok)
        {
            // The KV cache no longer matches our token list: start over next time.
            _context.NativeHandle.MemoryClear(true);
            _evaluated.Clear();
            throw new ModelCallException($"gguf:{_path}", ModelFailureKind.Other, 1, null, $"llama.cpp decode failed: {result}");
        }
    }

    private string Render(IEnumerable<ChatMessage> messages)
    {
        if (_hasTemplate)
        {
            var template = new LLamaTemplate(_weights) { AddAssistant = true };
            foreach (var m in messages) template.Add(m.Role.Value, m.Text);
            return Encoding.UTF8.GetString(template.Apply());
        }
        return FixedTemplate(messages);
    }

    /// <summary>The plain template for models without one (e.g. base models): role headers and blank lines.</summary>
    internal static string FixedTemplate(IEnumerable<ChatMessage> messages)
    {
        var sb = new StringBuilder();
        foreach (var m in messages) sb.Append("### ").Append(Capitalise(m.Role.Value)).Append(":\n").Append(m.Text).Append("\n\n");
        return sb.Append("### Assistant:\n").ToString();
    }

    private static string Capitalise(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    private static Grammar? GrammarFor(ChatResponseFormat? format) => format switch
    {
        ChatResponseFormatJson { Schema: { } schema } => new Grammar(GbnfGrammar.FromSchema(schema), "root"),
        ChatResponseFormatJson => new Grammar(GbnfGrammar.AnyJsonObject, "root"),
        _ => null,
    };

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceType == typeof(ChatClientMetadata) ? Metadata
        : null;

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
        _gate.Dispose();
    }
}

/// <summary>Process-wide llama.cpp set-up: silence its log before the first native call (it prints hundreds of lines per load).</summary>
internal static class LlamaNative
{
    private static int _configured;

    public static void EnsureQuiet()
    {
        if (Interlocked.Exchange(ref _configured, 1) == 1) return;
        if (!NativeLibraryConfig.LLama.LibraryHasLoaded)
            NativeLibraryConfig.All.WithLogCallback((level, message) => { });
    }
}
