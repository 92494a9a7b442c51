using BayesianRouter.RewardModels;

namespace BayesianRouter.Core.Tests.RewardModels;

public class PoolFileTests
{
    private static RmPool Parse(string json) => PoolFile.Parse(json, "pool.json");

    private static string Error(string json) => Assert.Throws<PoolFileException>(() => Parse(json)).Message;

    [Fact]
    public void AFullPoolParsesWithDefaultsWhereFieldsAreAbsent()
    {
        var pool = Parse("""
            {"rms": [
              {"name": "ArmoRM", "backend": "vllm-classify", "url": "http://127.0.0.1:8001", "model": "RLHFlow/ArmoRM", "timeout_s": 2.5, "max_concurrency": 4},
              {"name": "internlm2_20b", "backend": "openrlhf", "url": "https://rm.example:9000/prefix/", "template": "<|user|>{prompt}<|assistant|>{response}", "cost": 2, "max_batch": 16},
              {"name": "gpt4o", "backend": "openai-judge", "url": "http://127.0.0.1:8003/v1", "model": "gpt-4o", "api_key_env": "OPENAI_API_KEY", "retries": 0,
               "circuit_breaker": {"failure_ratio": 0.25, "min_calls": 4, "window_s": 10, "break_s": 0.5}}
            ], "budget": 1.5}
            """);
        Assert.Equal(["ArmoRM", "internlm2_20b", "gpt4o"], pool.Names);
        Assert.Equal(1.5, pool.Budget);
        var armo = pool["ArmoRM"];
        Assert.Equal(RmBackend.VllmClassify, armo.Backend);
        Assert.Equal((2.5, 4, 1.0, 2), (armo.TimeoutSeconds, armo.MaxConcurrency, armo.Cost, armo.Retries));
        Assert.Null(armo.EffectiveTemplate);
        var intern = pool["internlm2_20b"];
        Assert.Equal((RmSpec.DefaultTimeoutSeconds, RmSpec.DefaultMaxConcurrency, 2.0, 16), (intern.TimeoutSeconds, intern.MaxConcurrency, intern.Cost, intern.MaxBatch));
        Assert.Equal("<|user|>Q<|assistant|>R", intern.EffectiveTemplate!.Render("Q", "R"));
        var judge = pool["gpt4o"];
        Assert.Equal(("gpt-4o", "OPENAI_API_KEY", 0), (judge.Model, judge.ApiKeyEnv, judge.Retries));
        Assert.Equal(new RmCircuitBreakerSpec { FailureRatio = 0.25, MinCalls = 4, WindowSeconds = 10, BreakSeconds = 0.5 }, judge.CircuitBreaker);
        Assert.Equal(RmTemplate.DefaultJudge, judge.EffectiveTemplate!.Text);
        Assert.Null(Parse("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h"}]}""").Budget);
    }

    [Theory]
    [InlineData("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "ftp://x"}]}""", """pool.json: rms[0].url: "ftp://x" is not an http(s) URL""")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h"}, {"name": "b", "backend": "openrlhf", "url": "http://h", "colour": 1}]}""", "pool.json: rms[1].colour: unknown field (known: name, backend, url")]
    [InlineData("""{"rms": [], "x": 1}""", "pool.json: x: unknown field (known: rms, budget, rewards)")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h"}, {"name": "a", "backend": "openrlhf", "url": "http://g"}]}""", """pool.json: rms[1].name: "a" is already the name of rms[0]""")]
    [InlineData("""{"rms": [{"backend": "openrlhf", "url": "http://h"}]}""", "pool.json: rms[0].name: missing")]
    [InlineData("""{"rms": [{"name": "a", "url": "http://h"}]}""", "pool.json: rms[0].backend: missing")]
    [InlineData("""{"rms": [{"name": "a", "backend": "vllm", "url": "http://h"}]}""", """pool.json: rms[0].backend: "vllm" is not a backend; use one of vllm-classify, openrlhf, openai-judge""")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openrlhf"}]}""", "pool.json: rms[0].url: missing")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h:8000/get_reward"}]}""", """pool.json: rms[0].url: "http://h:8000/get_reward" ends with the endpoint path; give the server's base URL ("http://h:8000"): openrlhf appends /get_reward""")]
    [InlineData("""{"rms": [{"name": "a", "backend": "vllm-classify", "url": "http://h/rm/classify/"}]}""", """pool.json: rms[0].url: "http://h/rm/classify/" ends with the endpoint path; give the server's base URL ("http://h/rm"): vllm-classify appends /classify""")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openai-judge", "model": "m", "url": "https://api.example/v1/chat/completions"}]}""", """pool.json: rms[0].url: "https://api.example/v1/chat/completions" ends with the endpoint path; give the server's base URL ("https://api.example/v1"): openai-judge appends /v1/chat/completions""")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h", "timeout_s": "30"}]}""", "pool.json: rms[0].timeout_s: must be a number, got \"30\"")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h", "timeout_s": 0}]}""", "pool.json: rms[0].timeout_s: 0 must be >= 0.01")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h", "cost": -1}]}""", "pool.json: rms[0].cost: -1 must be >= 0")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h", "max_concurrency": 2.5}]}""", "pool.json: rms[0].max_concurrency: 2.5 is not a whole number in 1..10000")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h", "max_concurrency": 0}]}""", "pool.json: rms[0].max_concurrency: 0 is out of range 1..10000")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h"}], "budget": -0.5}""", "pool.json: budget: -0.5 must be >= 0")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h", "cost": 2}, {"name": "b", "backend": "openrlhf", "url": "http://g", "cost": 1.5}], "budget": 1}""", "pool.json: budget: 1 is below the cheapest RM's cost (b: 1.5): no RM can label a pair within it")]
    [InlineData("""{"rms": [{"name": "a", "backend": "vllm-classify", "url": "http://h", "api_key_env": "KEY"}]}""", "pool.json: rms[0].api_key_env: vllm-classify does not use an API key (only openai-judge does)")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openai-judge", "url": "http://h", "model": "m", "api_key_env": "1KEY"}]}""", """pool.json: rms[0].api_key_env: "1KEY" is not an environment variable name""")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h", "template": "{prompt} says"}]}""", "pool.json: rms[0].template: lacks {response} (openrlhf templates need {prompt}, {response})")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openai-judge", "url": "http://h", "model": "m", "template": "{prompt} {response_0}"}]}""", "pool.json: rms[0].template: lacks {response_1}")]
    [InlineData("""{"rms": [{"name": "a", "backend": "vllm-classify", "url": "http://h", "template": "{prompt}{response}"}]}""", "pool.json: rms[0].template: vllm-classify does not use a template")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openai-judge", "url": "http://h"}]}""", "pool.json: rms[0].model: missing: openai-judge needs the served model's name")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h", "model": "m"}]}""", "pool.json: rms[0].model: openrlhf does not use a model name")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://user:secret@h"}]}""", "pool.json: rms[0].url: must not carry credentials")]
    [InlineData("""{"rms": [{"name": "a", "backend": "vllm-classify", "url": "http://h", "max_batch": 8}]}""", "pool.json: rms[0].max_batch: vllm-classify sends one request per response; max_batch applies to openrlhf only")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h", "circuit_breaker": {"break_s": 0.1}}]}""", "pool.json: rms[0].circuit_breaker.break_s: 0.1 must be >= 0.5")]
    [InlineData("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h", "circuit_breaker": {"ratio": 1}}]}""", "pool.json: rms[0].circuit_breaker.ratio: unknown field")]
    [InlineData("""{"rms": [{"name": " a", "backend": "openrlhf", "url": "http://h"}]}""", """pool.json: rms[0].name: " a" has leading or trailing white space""")]
    [InlineData("""{"rms": []}""", "pool.json: rms: is empty")]
    [InlineData("""{"rms": {}}""", "pool.json: rms: must be a list of RMs, got object")]
    [InlineData("""{}""", "pool.json: rms: missing")]
    [InlineData("""[1]""", "pool.json: must be a JSON object")]
    [InlineData("{\"rms\": [\n{\"name\": \"a\",}]}", "pool.json: line 2: not valid JSON")]
    [InlineData("""{"rms": [{"name": "a", "name": "b", "backend": "openrlhf", "url": "http://h"}]}""", "pool.json: line 1: not valid JSON")]
    public void BadPoolFilesAreRefusedNamingTheFieldAndTheProblem(string json, string expected) =>
        Assert.StartsWith(expected, Error(json));

    [Fact]
    public void AMissingFileIsNamed() =>
        Assert.Equal("no/such/pool.json: no such file", Assert.Throws<PoolFileException>(() => PoolFile.Load("no/such/pool.json")).Message);

    [Fact]
    public void ThePoolMustNameExactlyTheRoutersRms()
    {
        var pool = Parse("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h"}, {"name": "b", "backend": "openrlhf", "url": "http://g"}]}""");
        Assert.Equal(["b", "a"], pool.InRouterOrder(["b", "a"], "router.bin").Select(r => r.Name));
        var e = Assert.Throws<PoolFileException>(() => pool.InRouterOrder(["a", "c"], "router.bin"));
        Assert.Equal("""pool.json: rms: the RM names must match the router's: router.bin routes among "a", "c"; this pool lacks "c" and has "b" that the router does not know""", e.Message);
    }

    [Fact]
    public void TemplatesFillEachPlaceholderOnceAndLeaveOtherBracesAlone()
    {
        var t = RmTemplate.Query("Q: {prompt} {x} $\\frac{1}{2}$ A: {response}{");
        Assert.Equal("Q: say {response} {x} $\\frac{1}{2}$ A: 42{", t.Render("say {response}", "42"));
        Assert.Throws<ArgumentException>(() => RmTemplate.Judge("{prompt} {response_0}"));
        Assert.Equal("pq", RmTemplate.Query().Render("p", "q"));
    }

    [Fact]
    public void FailureReasonsCarryTheirKind()
    {
        Assert.Equal(RmFailure.Timeout, RmFailure.KindOf(RmFailure.Judgment(RmFailure.Timeout, "no answer in 2 s").Error));
        Assert.Equal(RmFailure.Other, RmFailure.KindOf("something broke"));
        Assert.Equal(RmFailure.Other, RmFailure.KindOf("http: 7"));
    }
}
