//! Golden tests: messages captured from the Python Pika driver (oslo.messaging 5.36.0)
//! and the examples of the driver specification, decoded, re-encoded and compared.
//!
//! Run with `cargo test --test wire_golden`; no broker is needed.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value, json};
use warren_core::{
    Context, HeaderValue, MessageProperties, NotificationEnvelope, Priority, RemoteError, RpcReply,
    RpcRequest, Serializer, decode, encode, incoming_serializer,
};

/// What a captured publish was.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Call,
    Cast,
    Reply,
    Notification,
}

/// A body as captured: JSON text, or msgpack bytes in hex.
#[derive(Debug, Clone, Copy)]
enum Body {
    Json(&'static [u8]),
    Hex(&'static str),
}

impl Body {
    fn bytes(self) -> Vec<u8> {
        match self {
            Body::Json(b) => b.to_vec(),
            Body::Hex(h) => unhex(h),
        }
    }
}

#[derive(Debug, PartialEq)]
enum Expected {
    Request(RpcRequest),
    Reply(RpcReply),
    Notification(NotificationEnvelope),
}

/// One captured `basic.publish`: its properties, content header and body.
struct Sample {
    kind: Kind,
    name: &'static str,
    content_type: &'static str,
    delivery_mode: u8,
    message_id: &'static str,
    correlation_id: Option<&'static str>,
    reply_to: Option<&'static str>,
    expiration: Option<&'static str>,
    /// The complete content-header frame payload.
    header_hex: &'static str,
    body: Body,
    expected: fn() -> Expected,
}

fn unhex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

fn interop_context() -> Context {
    Context::new()
        .with("request_id", "req-interop-0001")
        .with("user_id", "interop-user")
        .with("project_id", "interop-project")
}

fn request(method: &str, args: Value) -> Expected {
    Expected::Request(
        RpcRequest::new(method, &args)
            .unwrap()
            .with_context(interop_context()),
    )
}

fn success(result: Value) -> Expected {
    Expected::Reply(RpcReply::Success(result))
}

/// The failure reply of the interop server's method `func` raising at `line`.
fn failure(
    class: &str,
    module: &str,
    message: &str,
    func: &str,
    raise: &str,
    line: u32,
) -> Expected {
    let site = "interop/venv/lib/python3.11/site-packages/oslo_messaging/rpc";
    let traceback = vec![
        "Traceback (most recent call last):\n".to_owned(),
        format!(
            "  File \"{site}/server.py\", line 163, in _process_incoming\n    res = self.dispatcher.dispatch(message)\n          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
        ),
        format!(
            "  File \"{site}/dispatcher.py\", line 220, in dispatch\n    return self._do_dispatch(endpoint, method, ctxt, args)\n           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
        ),
        format!(
            "  File \"{site}/dispatcher.py\", line 190, in _do_dispatch\n    result = func(ctxt, **new_args)\n             ^^^^^^^^^^^^^^^^^^^^^^\n"
        ),
        format!("  File \"interop/rpc_server.py\", line {line}, in {func}\n    {raise}"),
        format!("{class}: {message}\n"),
    ];
    Expected::Reply(RpcReply::Failure(
        RemoteError::new(class, module, message).with_traceback(traceback),
    ))
}

fn notification(
    message_id: &str,
    event_type: &str,
    priority: Priority,
    payload: Value,
    timestamp: &str,
) -> Expected {
    Expected::Notification(NotificationEnvelope {
        message_id: message_id.to_owned(),
        publisher_id: "interop.host1".to_owned(),
        event_type: event_type.to_owned(),
        priority,
        payload,
        timestamp: timestamp.to_owned(),
        context: Context::new()
            .with("request_id", "req-interop-notify-0001")
            .with("user_id", "interop-user")
            .with("project_id", "interop-project"),
    })
}

/// Every `basic.publish` of `wire-samples.md` section 3, in capture order.
const SAMPLES: &[Sample] = &[
    // call echo, message #1, routing key with_ack.interop.srv1
    Sample {
        kind: Kind::Call,
        name: "call echo #1",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "85dfe31a5e5940d29e38f61a344e16be",
        correlation_id: Some("f5f50e4d494144eebf6c00e142e4018a"),
        reply_to: Some("reply.interop.rpc_client.0e9e29eaec4d4e13a1f809f2ebd4ff36"),
        expiration: Some("29986"),
        header_hex: "003c00000000000000000095b780106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001206635663530653464343934313434656562663663303065313432653430313861397265706c792e696e7465726f702e7270635f636c69656e742e3065396532396561656334643465313361316638303966326562643466663336053239393836203835646665333161356535393430643239653338663631613334346531366265",
        body: Body::Json(br#"{"method": "echo", "args": {"value": "hello"}, "_$_request_id": "req-interop-0001", "_$_user_id": "interop-user", "_$_project_id": "interop-project"}"#),
        expected: || request("echo", json!({"value": "hello"})),
    },
    // call echo, message #3, routing key reply.interop.rpc_client.0e9e29eaec4d4e13a1f809f2ebd4ff36
    Sample {
        kind: Kind::Reply,
        name: "call echo #3",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "a6ece6a353e0464f812d87ea45a1a5c6",
        correlation_id: Some("f5f50e4d494144eebf6c00e142e4018a"),
        reply_to: None,
        expiration: Some("29983"),
        header_hex: "003c0000000000000000000eb580106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001206635663530653464343934313434656562663663303065313432653430313861053239393833206136656365366133353365303436346638313264383765613435613161356336",
        body: Body::Json(br#"{"s": "hello"}"#),
        expected: || success(json!("hello")),
    },
    // call add, message #1, routing key with_ack.interop.srv1
    Sample {
        kind: Kind::Call,
        name: "call add #1",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "466db38f43ee4632afffc2653825926c",
        correlation_id: Some("68e88a4aa1ac4306848ff22d87f66493"),
        reply_to: Some("reply.interop.rpc_client.0ea99c1d7d2c44f0b10dc0873795e12d"),
        expiration: Some("29989"),
        header_hex: "003c00000000000000000092b780106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001203638653838613461613161633433303638343866663232643837663636343933397265706c792e696e7465726f702e7270635f636c69656e742e3065613939633164376432633434663062313064633038373337393565313264053239393839203436366462333866343365653436333261666666633236353338323539323663",
        body: Body::Json(br#"{"method": "add", "args": {"a": 2, "b": 3}, "_$_request_id": "req-interop-0001", "_$_user_id": "interop-user", "_$_project_id": "interop-project"}"#),
        expected: || request("add", json!({"a": 2, "b": 3})),
    },
    // call add, message #3, routing key reply.interop.rpc_client.0ea99c1d7d2c44f0b10dc0873795e12d
    Sample {
        kind: Kind::Reply,
        name: "call add #3",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "ddfab4900430448f8388b5f4f3c75d6a",
        correlation_id: Some("68e88a4aa1ac4306848ff22d87f66493"),
        reply_to: None,
        expiration: Some("29988"),
        header_hex: "003c00000000000000000008b580106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001203638653838613461613161633433303638343866663232643837663636343933053239393838206464666162343930303433303434386638333838623566346633633735643661",
        body: Body::Json(br#"{"s": 5}"#),
        expected: || success(json!(5)),
    },
    // call fail (ValueError -> builtins, re-raised as ValueError), message #1, routing key with_ack.interop.srv1
    Sample {
        kind: Kind::Call,
        name: "call fail #1",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "164daaf3fbc847aebfa5db06709c3698",
        correlation_id: Some("564e0bda15e4408785f519c9c3f5953f"),
        reply_to: Some("reply.interop.rpc_client.663e7734e5d7419cb46f798856f9a2d9"),
        expiration: Some("29989"),
        header_hex: "003c00000000000000000092b780106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001203536346530626461313565343430383738356635313963396333663539353366397265706c792e696e7465726f702e7270635f636c69656e742e3636336537373334653564373431396362343666373938383536663961326439053239393839203136346461616633666263383437616562666135646230363730396333363938",
        body: Body::Json(br#"{"method": "fail", "args": {"msg": "boom"}, "_$_request_id": "req-interop-0001", "_$_user_id": "interop-user", "_$_project_id": "interop-project"}"#),
        expected: || request("fail", json!({"msg": "boom"})),
    },
    // call fail (ValueError -> builtins, re-raised as ValueError), message #3, routing key reply.interop.rpc_client.663e7734e5d7419cb46f798856f9a2d9
    Sample {
        kind: Kind::Reply,
        name: "call fail #3",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "7d61a960a1bf4b4693a28e6c7f521858",
        correlation_id: Some("564e0bda15e4408785f519c9c3f5953f"),
        reply_to: None,
        expiration: Some("29985"),
        header_hex: "003c00000000000000000388b580106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001203536346530626461313565343430383738356635313963396333663539353366053239393835203764363161393630613162663462343639336132386536633766353231383538",
        body: Body::Json(br#"{"e": {"c": "ValueError", "m": "builtins", "s": "boom", "t": ["Traceback (most recent call last):\n", "  File \"interop/venv/lib/python3.11/site-packages/oslo_messaging/rpc/server.py\", line 163, in _process_incoming\n    res = self.dispatcher.dispatch(message)\n          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n", "  File \"interop/venv/lib/python3.11/site-packages/oslo_messaging/rpc/dispatcher.py\", line 220, in dispatch\n    return self._do_dispatch(endpoint, method, ctxt, args)\n           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n", "  File \"interop/venv/lib/python3.11/site-packages/oslo_messaging/rpc/dispatcher.py\", line 190, in _do_dispatch\n    result = func(ctxt, **new_args)\n             ^^^^^^^^^^^^^^^^^^^^^^\n", "  File \"interop/rpc_server.py\", line 102, in fail\n    raise ValueError(msg)\n", "ValueError: boom\n"]}}"#),
        expected: || failure("ValueError", "builtins", "boom", "fail", "raise ValueError(msg)\n", 102),
    },
    // call fail_custom (non-allowed module -> RemoteError), message #1, routing key with_ack.interop.srv1
    Sample {
        kind: Kind::Call,
        name: "call fail_custom #1",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "0504d4808f014d159849f90b4987feda",
        correlation_id: Some("3d405051183844b886a0a74451eef129"),
        reply_to: Some("reply.interop.rpc_client.637db926445c4bfeb48a628ef3ccbd39"),
        expiration: Some("29981"),
        header_hex: "003c0000000000000000009bb780106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001203364343035303531313833383434623838366130613734343531656566313239397265706c792e696e7465726f702e7270635f636c69656e742e3633376462393236343435633462666562343861363238656633636362643339053239393831203035303464343830386630313464313539383439663930623439383766656461",
        body: Body::Json(br#"{"method": "fail_custom", "args": {"msg": "custom"}, "_$_request_id": "req-interop-0001", "_$_user_id": "interop-user", "_$_project_id": "interop-project"}"#),
        expected: || request("fail_custom", json!({"msg": "custom"})),
    },
    // call fail_custom (non-allowed module -> RemoteError), message #3, routing key reply.interop.rpc_client.637db926445c4bfeb48a628ef3ccbd39
    Sample {
        kind: Kind::Reply,
        name: "call fail_custom #3",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "69fc09e29b0747168df00f8435d3e4d0",
        correlation_id: Some("3d405051183844b886a0a74451eef129"),
        reply_to: None,
        expiration: Some("29978"),
        header_hex: "003c000000000000000003abb580106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001203364343035303531313833383434623838366130613734343531656566313239053239393738203639666330396532396230373437313638646630306638343335643365346430",
        body: Body::Json(br#"{"e": {"c": "InteropCustomError", "m": "__main__", "s": "custom", "t": ["Traceback (most recent call last):\n", "  File \"interop/venv/lib/python3.11/site-packages/oslo_messaging/rpc/server.py\", line 163, in _process_incoming\n    res = self.dispatcher.dispatch(message)\n          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n", "  File \"interop/venv/lib/python3.11/site-packages/oslo_messaging/rpc/dispatcher.py\", line 220, in dispatch\n    return self._do_dispatch(endpoint, method, ctxt, args)\n           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n", "  File \"interop/venv/lib/python3.11/site-packages/oslo_messaging/rpc/dispatcher.py\", line 190, in _do_dispatch\n    result = func(ctxt, **new_args)\n             ^^^^^^^^^^^^^^^^^^^^^^\n", "  File \"interop/rpc_server.py\", line 106, in fail_custom\n    raise InteropCustomError(msg)\n", "InteropCustomError: custom\n"]}}"#),
        expected: || failure("InteropCustomError", "__main__", "custom", "fail_custom", "raise InteropCustomError(msg)\n", 106),
    },
    // cast echo (to server srv1), message #1, routing key with_ack.interop.srv1
    Sample {
        kind: Kind::Cast,
        name: "cast echo #1",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "3789818079ea41cca1678be886fac457",
        correlation_id: None,
        reply_to: None,
        expiration: None,
        header_hex: "003c00000000000000000096b080106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001203337383938313830373965613431636361313637386265383836666163343537",
        body: Body::Json(br#"{"method": "echo", "args": {"value": "casted"}, "_$_request_id": "req-interop-0001", "_$_user_id": "interop-user", "_$_project_id": "interop-project"}"#),
        expected: || request("echo", json!({"value": "casted"})),
    },
    // fanout cast echo (all servers of topic), message #1, routing key with_ack.interop.all_workers
    Sample {
        kind: Kind::Cast,
        name: "fanout cast echo #1",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "0472c7e8f27f4a84a515884e090f40b0",
        correlation_id: None,
        reply_to: None,
        expiration: None,
        header_hex: "003c00000000000000000096b080106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001203034373263376538663237663461383461353135383834653039306634306230",
        body: Body::Json(br#"{"method": "echo", "args": {"value": "to-all"}, "_$_request_id": "req-interop-0001", "_$_user_id": "interop-user", "_$_project_id": "interop-project"}"#),
        expected: || request("echo", json!({"value": "to-all"})),
    },
    // call echo with retry=0 (no_ack.* routing key), message #1, routing key no_ack.interop.srv1
    Sample {
        kind: Kind::Call,
        name: "call echo with retry=0 #1",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "ca872239038945a5b03d1e256764aa0d",
        correlation_id: Some("0cc4f11534704e4290e06be3e2007a66"),
        reply_to: Some("reply.interop.rpc_client.6549c79d0f8b49ba8bb64976600e9cc7"),
        expiration: Some("29981"),
        header_hex: "003c00000000000000000095b780106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001203063633466313135333437303465343239306530366265336532303037613636397265706c792e696e7465726f702e7270635f636c69656e742e3635343963373964306638623439626138626236343937363630306539636337053239393831206361383732323339303338393435613562303364316532353637363461613064",
        body: Body::Json(br#"{"method": "echo", "args": {"value": "noack"}, "_$_request_id": "req-interop-0001", "_$_user_id": "interop-user", "_$_project_id": "interop-project"}"#),
        expected: || request("echo", json!({"value": "noack"})),
    },
    // call echo with retry=0 (no_ack.* routing key), message #3, routing key reply.interop.rpc_client.6549c79d0f8b49ba8bb64976600e9cc7
    Sample {
        kind: Kind::Reply,
        name: "call echo with retry=0 #3",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "2efc53b9e77f425fac625b84938b8873",
        correlation_id: Some("0cc4f11534704e4290e06be3e2007a66"),
        reply_to: None,
        expiration: Some("29980"),
        header_hex: "003c0000000000000000000eb580106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001203063633466313135333437303465343239306530366265336532303037613636053239393830203265666335336239653737663432356661633632356238343933386238383733",
        body: Body::Json(br#"{"s": "noack"}"#),
        expected: || success(json!("noack")),
    },
    // call echo to topic only (target.server=None), message #1, routing key with_ack.interop
    Sample {
        kind: Kind::Call,
        name: "call echo to topic only #1",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "0ccc4f992d234d29ad17e85594e94579",
        correlation_id: Some("8153437886e9484884fbfb4d4987018b"),
        reply_to: Some("reply.interop.rpc_client.774890088a1843f7ace050ab4a540b80"),
        expiration: Some("29976"),
        header_hex: "003c0000000000000000009ab780106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001203831353334333738383665393438343838346662666234643439383730313862397265706c792e696e7465726f702e7270635f636c69656e742e3737343839303038386131383433663761636530353061623461353430623830053239393736203063636334663939326432333464323961643137653835353934653934353739",
        body: Body::Json(br#"{"method": "echo", "args": {"value": "topic-only"}, "_$_request_id": "req-interop-0001", "_$_user_id": "interop-user", "_$_project_id": "interop-project"}"#),
        expected: || request("echo", json!({"value": "topic-only"})),
    },
    // call echo to topic only (target.server=None), message #3, routing key reply.interop.rpc_client.774890088a1843f7ace050ab4a540b80
    Sample {
        kind: Kind::Reply,
        name: "call echo to topic only #3",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "dfcc5d93209c4c13818613d4aa7e5645",
        correlation_id: Some("8153437886e9484884fbfb4d4987018b"),
        reply_to: None,
        expiration: Some("29972"),
        header_hex: "003c00000000000000000013b580106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001203831353334333738383665393438343838346662666234643439383730313862053239393732206466636335643933323039633463313338313836313364346161376535363435",
        body: Body::Json(br#"{"s": "topic-only"}"#),
        expected: || success(json!("topic-only")),
    },
    // call echo, msgpack serializer (default_serializer_type=msgpack), message #1, routing key with_ack.interop.srv1
    Sample {
        kind: Kind::Call,
        name: "call echo, msgpack serializer #1",
        content_type: "application/msgpack",
        delivery_mode: 1,
        message_id: "6041a1f5347145b291a45faa34ec0027",
        correlation_id: Some("71643ba5489c4b64af92445cbf9fa7b2"),
        reply_to: Some("reply.interop.rpc_client.ca04504a10c44dfcb3443a03678b0781"),
        expiration: Some("29980"),
        header_hex: "003c00000000000000000075b780136170706c69636174696f6e2f6d73677061636b000000100776657273696f6e5300000003312e3001203731363433626135343839633462363461663932343435636266396661376232397265706c792e696e7465726f702e7270635f636c69656e742e6361303435303461313063343464666362333434336130333637386230373831053239393830203630343161316635333437313435623239316134356661613334656330303237",
        body: Body::Hex("85a66d6574686f64a46563686fa46172677381a576616c7565a67061636b6564ad5f245f726571756573745f6964b07265712d696e7465726f702d30303031aa5f245f757365725f6964ac696e7465726f702d75736572ad5f245f70726f6a6563745f6964af696e7465726f702d70726f6a656374"),
        expected: || request("echo", json!({"value": "packed"})),
    },
    // call echo, msgpack serializer (default_serializer_type=msgpack), message #3, routing key reply.interop.rpc_client.ca04504a10c44dfcb3443a03678b0781
    Sample {
        kind: Kind::Reply,
        name: "call echo, msgpack serializer #3",
        content_type: "application/msgpack",
        delivery_mode: 1,
        message_id: "cf1c0a0524bb4931b18529b67519e530",
        correlation_id: Some("71643ba5489c4b64af92445cbf9fa7b2"),
        reply_to: None,
        expiration: Some("29976"),
        header_hex: "003c0000000000000000000ab580136170706c69636174696f6e2f6d73677061636b000000100776657273696f6e5300000003312e3001203731363433626135343839633462363461663932343435636266396661376232053239393736206366316330613035323462623439333162313835323962363735313965353330",
        body: Body::Hex("81a173a67061636b6564"),
        expected: || success(json!("packed")),
    },
    // call echo to a server nobody listens on (unroutable, timeout=1), message #1, routing key with_ack.interop.nosuchserver
    Sample {
        kind: Kind::Call,
        name: "call echo to a server nobody listens on #1",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "d28d31d2b5904e8597bec576f391d6f9",
        correlation_id: Some("603aa37932274aa395537c6c58481734"),
        reply_to: Some("reply.interop.rpc_client.4764d488a67640339b969702c3c1f4a6"),
        expiration: Some("981"),
        header_hex: "003c00000000000000000094b780106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001203630336161333739333232373461613339353533376336633538343831373334397265706c792e696e7465726f702e7270635f636c69656e742e343736346434383861363736343033333962393639373032633363316634613603393831206432386433316432623539303465383539376265633537366633393164366639",
        body: Body::Json(br#"{"method": "echo", "args": {"value": "lost"}, "_$_request_id": "req-interop-0001", "_$_user_id": "interop-user", "_$_project_id": "interop-project"}"#),
        expected: || request("echo", json!({"value": "lost"})),
    },
    // call echo to a server nobody listens on (unroutable, timeout=1), message #3, routing key with_ack.interop.nosuchserver
    Sample {
        kind: Kind::Call,
        name: "call echo to a server nobody listens on #3",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "d28d31d2b5904e8597bec576f391d6f9",
        correlation_id: Some("603aa37932274aa395537c6c58481734"),
        reply_to: Some("reply.interop.rpc_client.4764d488a67640339b969702c3c1f4a6"),
        expiration: Some("728"),
        header_hex: "003c00000000000000000094b780106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001203630336161333739333232373461613339353533376336633538343831373334397265706c792e696e7465726f702e7270635f636c69656e742e343736346434383861363736343033333962393639373032633363316634613603373238206432386433316432623539303465383539376265633537366633393164366639",
        body: Body::Json(br#"{"method": "echo", "args": {"value": "lost"}, "_$_request_id": "req-interop-0001", "_$_user_id": "interop-user", "_$_project_id": "interop-project"}"#),
        expected: || request("echo", json!({"value": "lost"})),
    },
    // call echo to a server nobody listens on (unroutable, timeout=1), message #5, routing key with_ack.interop.nosuchserver
    Sample {
        kind: Kind::Call,
        name: "call echo to a server nobody listens on #5",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "d28d31d2b5904e8597bec576f391d6f9",
        correlation_id: Some("603aa37932274aa395537c6c58481734"),
        reply_to: Some("reply.interop.rpc_client.4764d488a67640339b969702c3c1f4a6"),
        expiration: Some("476"),
        header_hex: "003c00000000000000000094b780106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001203630336161333739333232373461613339353533376336633538343831373334397265706c792e696e7465726f702e7270635f636c69656e742e343736346434383861363736343033333962393639373032633363316634613603343736206432386433316432623539303465383539376265633537366633393164366639",
        body: Body::Json(br#"{"method": "echo", "args": {"value": "lost"}, "_$_request_id": "req-interop-0001", "_$_user_id": "interop-user", "_$_project_id": "interop-project"}"#),
        expected: || request("echo", json!({"value": "lost"})),
    },
    // call echo to a server nobody listens on (unroutable, timeout=1), message #7, routing key with_ack.interop.nosuchserver
    Sample {
        kind: Kind::Call,
        name: "call echo to a server nobody listens on #7",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "d28d31d2b5904e8597bec576f391d6f9",
        correlation_id: Some("603aa37932274aa395537c6c58481734"),
        reply_to: Some("reply.interop.rpc_client.4764d488a67640339b969702c3c1f4a6"),
        expiration: Some("224"),
        header_hex: "003c00000000000000000094b780106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001203630336161333739333232373461613339353533376336633538343831373334397265706c792e696e7465726f702e7270635f636c69656e742e343736346434383861363736343033333962393639373032633363316634613603323234206432386433316432623539303465383539376265633537366633393164366639",
        body: Body::Json(br#"{"method": "echo", "args": {"value": "lost"}, "_$_request_id": "req-interop-0001", "_$_user_id": "interop-user", "_$_project_id": "interop-project"}"#),
        expected: || request("echo", json!({"value": "lost"})),
    },
    // notification info (driver messagingv2), message #1, routing key notifications.info
    Sample {
        kind: Kind::Notification,
        name: "notification info #1",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "db0767933de84f39bbb0945c7755dbcb",
        correlation_id: None,
        reply_to: None,
        expiration: None,
        header_hex: "003c0000000000000000016bb080106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001206462303736373933336465383466333962626230393435633737353564626362",
        body: Body::Json(br#"{"message_id": "47e2572e-e126-4587-9e20-24e4360414a2", "publisher_id": "interop.host1", "event_type": "compute.instance.create.end", "priority": "INFO", "payload": {"instance_id": "abc-123", "state": "active"}, "timestamp": "2026-11-24 18:20:47.596592", "_$_request_id": "req-interop-notify-0001", "_$_user_id": "interop-user", "_$_project_id": "interop-project"}"#),
        expected: || {
            notification(
                "47e2572e-e126-4587-9e20-24e4360414a2",
                "compute.instance.create.end",
                Priority::Info,
                json!({"instance_id": "abc-123", "state": "active"}),
                "2026-11-24 18:20:47.596592",
            )
        },
    },
    // notification error (driver messaging, v1), message #1, routing key notifications.error
    Sample {
        kind: Kind::Notification,
        name: "notification error #1",
        content_type: "application/json",
        delivery_mode: 1,
        message_id: "4c1316f508ba479c8e5043d6374bde48",
        correlation_id: None,
        reply_to: None,
        expiration: None,
        header_hex: "003c00000000000000000159b080106170706c69636174696f6e2f6a736f6e000000100776657273696f6e5300000003312e3001203463313331366635303862613437396338653530343364363337346264653438",
        body: Body::Json(br#"{"message_id": "8140b6fc-edce-4397-ac4b-dbe39c4e1bed", "publisher_id": "interop.host1", "event_type": "compute.instance.delete.end", "priority": "ERROR", "payload": {"instance_id": "abc-123"}, "timestamp": "2026-11-24 18:20:48.595553", "_$_request_id": "req-interop-notify-0001", "_$_user_id": "interop-user", "_$_project_id": "interop-project"}"#),
        expected: || {
            notification(
                "8140b6fc-edce-4397-ac4b-dbe39c4e1bed",
                "compute.instance.delete.end",
                Priority::Error,
                json!({"instance_id": "abc-123"}),
                "2026-11-24 18:20:48.595553",
            )
        },
    },
];

impl Sample {
    fn serializer(&self) -> Serializer {
        Serializer::from_content_type(self.content_type).unwrap()
    }

    /// The properties as a consumer receives them.
    fn received_properties(&self) -> MessageProperties {
        MessageProperties {
            content_type: Some(self.content_type.to_owned()),
            headers: Some(BTreeMap::from([(
                "version".to_owned(),
                HeaderValue::Text("1.0".to_owned()),
            )])),
            message_id: Some(self.message_id.to_owned()),
            correlation_id: self.correlation_id.map(str::to_owned),
            reply_to: self.reply_to.map(str::to_owned),
            expiration: self.expiration.map(str::to_owned),
            delivery_mode: Some(self.delivery_mode),
        }
    }

    /// The properties warren's constructor for this kind builds, with the sample's
    /// random `message_id` and deadline.
    fn built_properties(&self) -> MessageProperties {
        let s = self.serializer();
        let remaining = self
            .expiration
            .map(|ms| Duration::from_millis(ms.parse().unwrap()));
        let mut props = match self.kind {
            Kind::Call => MessageProperties::rpc_call(
                s,
                self.correlation_id.unwrap(),
                self.reply_to.unwrap(),
                remaining.unwrap(),
            ),
            Kind::Reply => MessageProperties::rpc_reply(s, self.correlation_id.unwrap(), remaining),
            Kind::Cast => MessageProperties::rpc_cast(s),
            Kind::Notification => MessageProperties::notification(s, false),
        };
        props.message_id = Some(self.message_id.to_owned());
        props
    }

    fn decode_envelope(&self, serializer: Serializer, body: &[u8]) -> Expected {
        match self.kind {
            Kind::Call | Kind::Cast => {
                Expected::Request(RpcRequest::from_body(serializer, body).unwrap())
            }
            Kind::Reply => Expected::Reply(RpcReply::from_body(serializer, body).unwrap()),
            Kind::Notification => {
                Expected::Notification(NotificationEnvelope::from_body(serializer, body).unwrap())
            }
        }
    }

    fn encode_envelope(envelope: &Expected, serializer: Serializer) -> Vec<u8> {
        match envelope {
            Expected::Request(r) => r.to_body(serializer),
            Expected::Reply(r) => r.to_body(serializer),
            Expected::Notification(n) => n.to_body(serializer),
        }
        .unwrap()
    }
}

/// An AMQP 0-9-1 basic content header, for the properties the driver uses.
fn content_header(props: &MessageProperties, body_size: u64) -> Vec<u8> {
    fn short(out: &mut Vec<u8>, s: &str) {
        out.push(u8::try_from(s.len()).unwrap());
        out.extend_from_slice(s.as_bytes());
    }
    let mut flags = 0u16;
    let mut list = Vec::new();
    if let Some(ct) = &props.content_type {
        flags |= 1 << 15;
        short(&mut list, ct);
    }
    if let Some(headers) = &props.headers {
        flags |= 1 << 13;
        let mut table = Vec::new();
        for (k, v) in headers {
            short(&mut table, k);
            let HeaderValue::Text(text) = v else {
                panic!("the driver only sends text headers")
            };
            table.push(b'S');
            table.extend_from_slice(&u32::try_from(text.len()).unwrap().to_be_bytes());
            table.extend_from_slice(text.as_bytes());
        }
        list.extend_from_slice(&u32::try_from(table.len()).unwrap().to_be_bytes());
        list.extend(table);
    }
    if let Some(mode) = props.delivery_mode {
        flags |= 1 << 12;
        list.push(mode);
    }
    for (bit, value) in [
        (10, &props.correlation_id),
        (9, &props.reply_to),
        (8, &props.expiration),
        (7, &props.message_id),
    ] {
        if let Some(v) = value {
            flags |= 1 << bit;
            short(&mut list, v);
        }
    }
    let mut out = Vec::new();
    out.extend_from_slice(&60u16.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&body_size.to_be_bytes());
    out.extend_from_slice(&flags.to_be_bytes());
    out.extend(list);
    out
}

#[test]
fn every_sample_passes_incoming_validation() {
    for s in SAMPLES {
        assert_eq!(
            incoming_serializer(&s.received_properties()),
            Ok(s.serializer()),
            "{}",
            s.name
        );
    }
}

#[test]
fn warren_builds_the_same_content_headers() {
    for s in SAMPLES {
        let header = unhex(s.header_hex);
        let body_size = u64::from_be_bytes(header[4..12].try_into().unwrap());
        let built = s.built_properties();
        assert_eq!(built, s.received_properties(), "{}", s.name);
        assert_eq!(content_header(&built, body_size), header, "{}", s.name);
        // The samples shortened the file paths in the two failure tracebacks, so those
        // bodies are 60 bytes shorter than captured; every other body has its size.
        let body = s.body.bytes();
        if body.len() as u64 != body_size {
            assert!(s.name.starts_with("call fail"), "{}", s.name);
            assert_eq!(body_size - body.len() as u64, 5 * 12, "{}", s.name);
        }
    }
}

#[test]
fn every_body_decodes_to_the_expected_envelope() {
    for s in SAMPLES {
        let got = s.decode_envelope(s.serializer(), &s.body.bytes());
        assert_eq!(got, (s.expected)(), "{}", s.name);
    }
}

#[test]
fn re_encoded_bodies_decode_to_the_same_envelope() {
    for s in SAMPLES {
        let envelope = (s.expected)();
        for serializer in Serializer::ALL {
            let bytes = Sample::encode_envelope(&envelope, serializer);
            assert_eq!(
                s.decode_envelope(serializer, &bytes),
                envelope,
                "{} in {serializer}",
                s.name
            );
        }
    }
}

#[test]
fn bodies_match_python_up_to_key_order() {
    for s in SAMPLES {
        let ours = Sample::encode_envelope(&(s.expected)(), s.serializer());
        let theirs = s.body.bytes();
        assert_eq!(
            decode(s.serializer(), &ours).unwrap(),
            decode(s.serializer(), &theirs).unwrap(),
            "{}",
            s.name
        );
        // Replies have keys that Python happens to write in sorted order, as warren
        // does, so they come out byte for byte.
        if s.kind == Kind::Reply {
            assert_eq!(ours, theirs, "{}", s.name);
        }
    }
}

#[test]
fn msgpack_request_decodes_from_the_captured_bytes() {
    let body = unhex(
        "85a66d6574686f64a46563686fa46172677381a576616c7565a67061636b6564ad5f245f726571756573745f6964b07265712d696e7465726f702d30303031aa5f245f757365725f6964ac696e7465726f702d75736572ad5f245f70726f6a6563745f6964af696e7465726f702d70726f6a656374",
    );
    assert_eq!(
        decode(Serializer::Msgpack, &body).unwrap(),
        json!({"_$_project_id": "interop-project", "_$_request_id": "req-interop-0001",
               "_$_user_id": "interop-user", "args": {"value": "packed"}, "method": "echo"})
    );
}

/// Spec §4.11: `call({'user':'u1'}, 'add', increment=2)` at version 1.2, reply 3.
#[test]
fn worked_example() {
    let body = br#"{"method": "add", "args": {"increment": 2}, "version": "1.2", "_$_user": "u1"}"#;
    let req = RpcRequest::from_body(Serializer::Json, body).unwrap();
    assert_eq!(
        req,
        RpcRequest::new("add", &json!({"increment": 2}))
            .unwrap()
            .with_version("1.2")
            .with_context(Context::new().with("user", "u1"))
    );
    let reply_to = format!("reply.nova.nova-api.{}", MessageProperties::new_hex_id());
    let correlation_id = MessageProperties::new_hex_id();
    let call = MessageProperties::rpc_call(
        Serializer::Json,
        correlation_id.clone(),
        reply_to.clone(),
        Duration::from_millis(59_997),
    );
    assert_eq!(call.expiration.as_deref(), Some("59997"));
    assert_eq!(call.reply_to, Some(reply_to));
    let reply = MessageProperties::rpc_reply(Serializer::Json, correlation_id.clone(), None);
    assert_eq!(reply.correlation_id, Some(correlation_id));
    assert_ne!(reply.message_id, call.message_id);
    assert_eq!(
        RpcReply::Success(json!(3))
            .to_body(Serializer::Json)
            .unwrap(),
        br#"{"s": 3}"#
    );
    let fanout = MessageProperties::rpc_cast(Serializer::Json);
    assert_eq!(
        (fanout.correlation_id, fanout.reply_to, fanout.expiration),
        (None, None, None)
    );
}

/// Spec §4.8.2: the example failure body of a py3 server.
#[test]
fn failure_example_byte_for_byte() {
    let body = br#"{"e": {"c": "ValueError", "m": "builtins", "s": "bad value", "t": ["Traceback (most recent call last):\n", "  File \"...\", line 1, in f\n", "ValueError: bad value\n"]}}"#;
    let reply = RpcReply::from_body(Serializer::Json, body).unwrap();
    let RpcReply::Failure(e) = &reply else {
        panic!("a failure reply")
    };
    assert!(e.is_builtin());
    assert_eq!(e.message, "bad value");
    assert_eq!(e.traceback.len(), 3);
    assert_eq!(reply.to_body(Serializer::Json).unwrap(), body);
}

/// Spec §7.1: the Python driver's own unit-test fixtures.
#[test]
fn python_unit_test_fixtures() {
    // Incoming: the `_$_` key is context, the rest message.
    let mut body = match decode(
        Serializer::Json,
        br#"{"_$_key_context":"context_value","payload_key":"payload_value"}"#,
    )
    .unwrap()
    {
        Value::Object(m) => m,
        other => panic!("a map, not {other}"),
    };
    let ctx = Context::split_from(&mut body);
    assert_eq!(ctx, Context::new().with("key_context", "context_value"));
    assert_eq!(Value::Object(body), json!({"payload_key": "payload_value"}));

    // Replies, parsed and written.
    assert_eq!(
        RpcReply::from_body(Serializer::Json, br#"{"s": "all fine"}"#).unwrap(),
        RpcReply::Success(json!("all fine"))
    );
    assert_eq!(
        RpcReply::Success(json!("all_fine"))
            .to_body(Serializer::Json)
            .unwrap(),
        br#"{"s": "all_fine"}"#
    );
    let failure = RpcReply::Failure(
        RemoteError::new(
            "MessagingException",
            "oslo_messaging.exceptions",
            "Error message",
        )
        .with_traceback(vec!["It is a trace".to_owned()]),
    );
    assert_eq!(
        failure.to_body(Serializer::Json).unwrap(),
        br#"{"e": {"c": "MessagingException", "m": "oslo_messaging.exceptions", "s": "Error message", "t": ["It is a trace"]}}"#
    );

    // Outgoing: a message map with the context flattened in, keys sorted.
    let mut message = Map::new();
    message.insert("msg_str".to_owned(), json!("hello"));
    message.insert("msg_type".to_owned(), json!(1));
    Context::new()
        .with("request_id", 555)
        .with("token", "it is a token")
        .flatten_into(&mut message);
    assert_eq!(
        encode(Serializer::Json, &Value::Object(message)).unwrap(),
        br#"{"_$_request_id": 555, "_$_token": "it is a token", "msg_str": "hello", "msg_type": 1}"#
    );
    let persistent = MessageProperties::notification(Serializer::Json, true);
    assert_eq!(persistent.delivery_mode, Some(2));
}
