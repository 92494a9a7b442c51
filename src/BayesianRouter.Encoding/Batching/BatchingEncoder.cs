using System.Diagnostics;

namespace BayesianRouter.Encoding;

/// <summary>
/// One encoder shared by many concurrent callers (a service's requests), with no lock around inference: callers queue
/// their texts and return at once with a task; <see cref="BatchingEncoderOptions.Workers"/> worker threads each take up
/// to <see cref="BatchingEncoderOptions.MaxTexts"/> queued texts, from as many callers as are waiting (an idle worker
/// first waits <see cref="BatchingEncoderOptions.Window"/> for more), and run them in one call of the inner encoder,
/// which sorts them by token length and runs batches of similar length (length bucketing across requests). A caller's
/// texts beyond <see cref="BatchingEncoderOptions.MaxTexts"/> are split, so two workers can share one large request.
/// Results come back in each caller's order. With more than one worker the inner encoder must be thread-safe
/// (<see cref="BertOnnxEncoder"/> is: ONNX Runtime sessions run concurrent calls).
/// </summary>
public sealed class BatchingEncoder : IConcurrentTextEncoder
{
    private readonly ITextEncoder _inner;
    private readonly bool _ownsInner;
    private readonly object _gate = new();
    private readonly Queue<Part> _queue = new();
    private readonly Thread[] _workers;
    private int _queuedTexts;
    private bool _stopping;
    private long _calls, _texts;

    private sealed class Request(EncoderInput[] inputs)
    {
        public readonly EncoderInput[] Inputs = inputs;
        public readonly float[][] Result = new float[inputs.Length][];
        public int Remaining = inputs.Length;
        public readonly TaskCompletionSource<float[][]> Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly record struct Part(Request Request, int Start, int Count);

    /// <param name="inner">The encoder that runs the texts (owned: disposed with this one unless <paramref name="ownsInner"/> is false).</param>
    public BatchingEncoder(ITextEncoder inner, BatchingEncoderOptions? options = null, bool ownsInner = true)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Options = options ?? new BatchingEncoderOptions();
        Options.Validate();
        _inner = inner;
        _ownsInner = ownsInner;
        _workers = new Thread[Options.Workers];
        for (int w = 0; w < _workers.Length; w++)
        {
            _workers[w] = new Thread(Work) { IsBackground = true, Name = $"bayesrouter-encoder-{w}" };
            _workers[w].Start();
        }
    }

    public BatchingEncoderOptions Options { get; }

    /// <summary>The encoder that runs the texts.</summary>
    public ITextEncoder Inner => _inner;

    public string Id => _inner.Id;
    public int Dimension => _inner.Dimension;
    public int MaxTokens => _inner.MaxTokens;

    /// <summary>Calls of the inner encoder so far.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Texts encoded so far (<see cref="TextsEncoded"/> / <see cref="Calls"/> is the mean batch the workers formed).</summary>
    public long TextsEncoded => Interlocked.Read(ref _texts);

    public Task<float[][]> EncodeAsync(IReadOnlyList<EncoderInput> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) return Task.FromResult<float[][]>([]);
        var request = new Request(inputs.ToArray());
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            for (int start = 0; start < request.Inputs.Length; start += Options.MaxTexts)
            {
                var part = new Part(request, start, Math.Min(Options.MaxTexts, request.Inputs.Length - start));
                _queue.Enqueue(part);
                _queuedTexts += part.Count;
            }
            Monitor.PulseAll(_gate);
        }
        return cancellationToken.CanBeCanceled ? request.Done.Task.WaitAsync(cancellationToken) : request.Done.Task;
    }

    /// <summary>Encodes through the shared workers and waits (progress is reported once, at the end).</summary>
    public float[][] Encode(IReadOnlyList<EncoderInput> inputs, IProgress<(int Done, int Total)>? progress = null)
    {
        var result = EncodeAsync(inputs).GetAwaiter().GetResult();
        progress?.Report((result.Length, result.Length));
        return result;
    }

    private void Work()
    {
        var taken = new List<Part>();
        while (true)
        {
            taken.Clear();
            lock (_gate)
            {
                while (_queue.Count == 0 && !_stopping) Monitor.Wait(_gate);
                if (_queue.Count == 0) return; // stopping, and nothing left
                if (_queuedTexts < Options.MaxTexts && Options.Window > TimeSpan.Zero && !_stopping)
                {
                    long deadline = Stopwatch.GetTimestamp() + (long)(Options.Window.TotalSeconds * Stopwatch.Frequency);
                    while (_queuedTexts < Options.MaxTexts && !_stopping)
                    {
                        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                        if (left <= TimeSpan.Zero) break;
                        Monitor.Wait(_gate, left);
                    }
                    if (_queue.Count == 0) continue; // another worker took them
                }
                int texts = 0;
                while (_queue.Count > 0 && (texts == 0 || texts + _queue.Peek().Count <= Options.MaxTexts))
                {
                    var part = _queue.Dequeue();
                    taken.Add(part);
                    texts += part.Count;
                    _queuedTexts -= part.Count;
                }
            }
            Run(taken);
        }
    }

    /// <summary>One inner call for the taken parts; each caller's task completes when its last part is done.</summary>
    private void Run(List<Part> parts)
    {
        var inputs = new EncoderInput[parts.Sum(p => p.Count)];
        int offset = 0;
        foreach (var p in parts)
        {
            Array.Copy(p.Request.Inputs, p.Start, inputs, offset, p.Count);
            offset += p.Count;
        }
        float[][] vectors;
        try
        {
            vectors = _inner.Encode(inputs);
            if (vectors.Length != inputs.Length) throw new InvalidOperationException($"encoder returned {vectors.Length} vectors for {inputs.Length} texts");
        }
        catch (Exception e)
        {
            foreach (var p in parts) p.Request.Done.TrySetException(e);
            return;
        }
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _texts, inputs.Length);
        offset = 0;
        foreach (var p in parts)
        {
            Array.Copy(vectors, offset, p.Request.Result, p.Start, p.Count);
            offset += p.Count;
            if (Interlocked.Add(ref p.Request.Remaining, -p.Count) == 0) p.Request.Done.TrySetResult(p.Request.Result);
        }
    }

    /// <summary>Lets the workers finish what is queued, stops them, and disposes the inner encoder when owned.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
        foreach (var w in _workers) w.Join();
        if (_ownsInner) _inner.Dispose();
    }
}
