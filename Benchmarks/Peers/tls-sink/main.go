// A loopback SMTP sink with STARTTLS for `make bench-smtp-tls`: it accepts every envelope and
// message and keeps nothing, so the clients measured against it are the bottleneck.
//
// Usage: tls-sink -listen 127.0.0.1:0 -cert-out DIR/sink.pem -ready-file DIR/sink.port
//
// At start it makes a throwaway ECDSA P-256 certificate for 127.0.0.1 and localhost, writes it
// (the clients' trust root) to -cert-out and then the port it listens on to -ready-file.
// Replies are buffered and flushed only when no pipelined command is waiting, as PIPELINING
// (RFC 2920) allows, so a client that pipelines gets one write per batch of replies.
package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"log"
	"math/big"
	"net"
	"os"
	"strconv"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback address to listen on")
	certOut := flag.String("cert-out", "", "file to write the certificate to (PEM)")
	readyFile := flag.String("ready-file", "", "file to write the port to once listening")
	flag.Parse()

	host, _, err := net.SplitHostPort(*listen)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("tls-sink: -listen must be a loopback address, got %q", *listen)
	}
	certificate, pemBytes := makeCertificate()
	if err := os.WriteFile(*certOut, pemBytes, 0o644); err != nil {
		log.Fatalf("tls-sink: writing the certificate: %v", err)
	}
	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("tls-sink: %v", err)
	}
	port := listener.Addr().(*net.TCPAddr).Port
	if err := os.WriteFile(*readyFile, []byte(strconv.Itoa(port)), 0o644); err != nil {
		log.Fatalf("tls-sink: writing the ready file: %v", err)
	}
	config := &tls.Config{Certificates: []tls.Certificate{certificate}}
	for {
		connection, err := listener.Accept()
		if err != nil {
			log.Fatalf("tls-sink: accept: %v", err)
		}
		go serve(connection, config)
	}
}

// session is one client connection, plaintext until STARTTLS.
type session struct {
	connection net.Conn
	reader     *bufio.Reader
	writer     *bufio.Writer
	secure     bool
}

func serve(connection net.Conn, config *tls.Config) {
	defer connection.Close()
	s := &session{connection: connection}
	s.attach(connection)
	s.reply("220 tls-sink ESMTP")
	for {
		line, err := s.reader.ReadSlice('\n')
		if err != nil {
			return
		}
		if !s.command(bytes.ToUpper(firstWord(line)), config) {
			return
		}
	}
}

// command answers one command line; false ends the session.
func (s *session) command(verb []byte, config *tls.Config) bool {
	switch string(verb) {
	case "EHLO":
		extensions := "250-tls-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 52428800\r\n"
		if !s.secure {
			extensions += "250-STARTTLS\r\n"
		}
		s.reply(extensions + "250 ENHANCEDSTATUSCODES")
	case "HELO", "MAIL", "RCPT", "RSET", "NOOP":
		s.reply("250 2.0.0 ok")
	case "STARTTLS":
		if s.secure {
			s.reply("503 5.5.1 TLS already active")
			return true
		}
		s.reply("220 2.0.0 ready to start TLS")
		secured := tls.Server(s.connection, config)
		if secured.Handshake() != nil {
			return false
		}
		s.attach(secured)
		s.secure = true
	case "DATA":
		s.reply("354 end with <CRLF>.<CRLF>")
		if !s.skipContent() {
			return false
		}
		s.reply("250 2.0.0 queued")
	case "QUIT":
		s.reply("221 2.0.0 bye")
		s.writer.Flush()
		return false
	default:
		s.reply("500 5.5.2 unknown command")
	}
	return true
}

// attach reads and writes through `stream` from now on.
func (s *session) attach(stream net.Conn) {
	s.reader = bufio.NewReaderSize(stream, 64*1024)
	s.writer = bufio.NewWriterSize(stream, 16*1024)
}

// reply queues one reply and flushes once no further pipelined command is already read.
func (s *session) reply(text string) {
	s.writer.WriteString(text)
	s.writer.WriteString("\r\n")
	if s.reader.Buffered() == 0 {
		s.writer.Flush()
	}
}

// skipContent reads message lines up to the lone dot; false when the stream ends first.
func (s *session) skipContent() bool {
	for {
		line, err := s.reader.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return false
		}
		if len(line) == 3 && line[0] == '.' && line[1] == '\r' {
			return true
		}
	}
}

func firstWord(line []byte) []byte {
	line = bytes.TrimRight(line, "\r\n")
	if space := bytes.IndexByte(line, ' '); space >= 0 {
		return line[:space]
	}
	return line
}

// makeCertificate returns a self-signed certificate for 127.0.0.1 and localhost, and its PEM.
func makeCertificate() (tls.Certificate, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatalf("tls-sink: key: %v", err)
	}
	template := x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(48 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, &template, &template, &key.PublicKey, key)
	if err != nil {
		log.Fatalf("tls-sink: certificate: %v", err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pemBytes
}
