"""Small KFP pipelines the pipeline job tests run on the emulator (compiled with kfp in the tests).

No `from __future__ import annotations` here: kfp reads the components' annotations as types.
"""

from google_cloud_pipeline_components.v1.endpoint import EndpointCreateOp
from kfp import dsl

SEED_PARAMETERS = {
    "training_data": "gs://pipelines/data/train.csv",
    "model_dir": "gs://pipelines/model",
    "instances": "gs://pipelines/data/instances.jsonl",
    "predictions_prefix": "gs://pipelines/predictions",
}
"""The seed pipeline's inputs (examples/pipelines/seed_pipeline.py) in the buckets the tests stage its data into."""


@dsl.component(base_image="python:3.11")
def write_text(text: str, data: dsl.Output[dsl.Dataset]) -> None:
    with open(data.path, "w") as file:
        file.write(text)
    data.metadata["characters"] = len(text)


@dsl.component(base_image="python:3.11")
def count_words(data: dsl.Input[dsl.Dataset]) -> int:
    with open(data.path) as file:
        return len(file.read().split())


@dsl.component(base_image="python:3.11")
def describe(words: int) -> str:
    return f"{words} words"


@dsl.pipeline(name="word-count")
def word_count(text: str = "one two three") -> None:
    written = write_text(text=text)
    counted = count_words(data=written.outputs["data"])
    describe(words=counted.output)


@dsl.component(base_image="python:3.11")
def fail(message: str) -> str:
    raise ValueError(message)


@dsl.pipeline(name="failing")
def failing(message: str = "the data is bad") -> None:
    failed = fail(message=message)
    describe(words=3).after(failed)
    write_text(text="independent")


@dsl.component(base_image="python:3.11")
def sleep(seconds: int) -> None:
    import time

    time.sleep(seconds)


@dsl.pipeline(name="sleeping")
def sleeping(seconds: int = 120) -> None:
    sleep(seconds=seconds).set_caching_options(False)


@dsl.component(base_image="python:3.11")
def flaky(marker: str) -> str:
    import os

    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("first attempt fails")
    return "second attempt"


@dsl.pipeline(name="flaky")
def retried(marker: str) -> None:
    flaky(marker=marker).set_retry(num_retries=2, backoff_duration="0s").set_caching_options(False)


@dsl.pipeline(name="unknown-component")
def unknown_component(project: str = "{{$.pipeline_google_cloud_project_id}}") -> None:
    EndpointCreateOp(project=project, display_name="endpoint")


@dsl.component(base_image="python:3.11")
def echo(text: str) -> str:
    return text


@dsl.pipeline(name="inner")
def inner(text: str) -> str:
    return echo(text=text).output


@dsl.pipeline(name="branching")
def branching(side: str = "heads") -> None:
    coin = echo(text=side).set_caching_options(False)
    with dsl.If(coin.output == "heads"):
        heads = echo(text="was heads").set_caching_options(False)
    with dsl.Else():
        tails = echo(text="was tails").set_caching_options(False)
    describe(words=1).set_display_name("after-branch").after(echo(text=dsl.OneOf(heads.output, tails.output)))
    nested = inner(text="from the nested pipeline")
    describe(words=2).after(nested)
    with dsl.ParallelFor(items=["a", "b"]) as item:
        echo(text=item).set_caching_options(False)


@dsl.component(base_image="python:3.11")
def notify(status: dsl.PipelineTaskFinalStatus) -> str:
    return f"{status.pipeline_task_name} {status.state}: {status.error_message}"


@dsl.pipeline(name="exit-handler")
def exit_handler(message: str = "the data is bad") -> None:
    with dsl.ExitHandler(notify().set_caching_options(False)):
        fail(message=message).set_caching_options(False)


@dsl.component(base_image="python:3.11")
def join(texts: list) -> str:
    return ",".join(texts)


@dsl.pipeline(name="collecting")
def collecting() -> None:
    with dsl.ParallelFor(items=[{"word": "x", "n": 1}, {"word": "y", "n": 2}], parallelism=2) as item:
        echoed = echo(text=item.word).set_caching_options(False)
    join(texts=dsl.Collected(echoed.output)).set_caching_options(False)


@dsl.pipeline(name="unmanaged-predict")
def unmanaged_predict(model_dir: str, instances: str, predictions_prefix: str) -> None:
    from google_cloud_pipeline_components.types import artifact_types
    from google_cloud_pipeline_components.v1.batch_predict_job import ModelBatchPredictOp

    model = dsl.importer(
        artifact_uri=model_dir,
        artifact_class=artifact_types.UnmanagedContainerModel,
        metadata={"containerSpec": {"imageUri": "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"}},
    )
    ModelBatchPredictOp(
        job_display_name="unmanaged",
        unmanaged_container_model=model.outputs["artifact"],
        gcs_source_uris=[instances],
        gcs_destination_output_uri_prefix=predictions_prefix,
        instances_format="jsonl",
        machine_type="n1-standard-2",
    )
