namespace WsssOnnx.Grpc;
