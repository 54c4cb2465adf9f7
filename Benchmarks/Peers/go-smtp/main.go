// The peer of `make bench-smtp-tls`: Go's net/smtp sending the same message many times over
// one STARTTLS connection, reused with RSET between messages, as an application keeping one
// session open would.
//
// Usage: go-smtp -addr 127.0.0.1:PORT -ca sink.pem -message message.eml -n 20000
//
// Prints one line: messages=N seconds=S rate=R (connect, STARTTLS and QUIT included).
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log"
	"net"
	"net/smtp"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", "", "loopback host:port of the STARTTLS sink")
	caFile := flag.String("ca", "", "PEM file of the sink's certificate")
	messageFile := flag.String("message", "", "the message content, CRLF line ends")
	count := flag.Int("n", 20000, "messages to send")
	flag.Parse()

	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("go-smtp: -addr must be a loopback address, got %q", *addr)
	}
	content, err := os.ReadFile(*messageFile)
	if err != nil {
		log.Fatalf("go-smtp: %v", err)
	}
	roots := x509.NewCertPool()
	pemBytes, err := os.ReadFile(*caFile)
	if err != nil || !roots.AppendCertsFromPEM(pemBytes) {
		log.Fatalf("go-smtp: no certificate in %q (%v)", *caFile, err)
	}

	start := time.Now()
	if err := send(*addr, &tls.Config{RootCAs: roots, ServerName: host}, content, *count); err != nil {
		log.Fatalf("go-smtp: %v", err)
	}
	seconds := time.Since(start).Seconds()
	fmt.Printf("messages=%d seconds=%.3f rate=%.1f\n", *count, seconds, float64(*count)/seconds)
}

// send delivers `content` `count` times over one connection.
func send(addr string, config *tls.Config, content []byte, count int) error {
	client, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer client.Close()
	if err := client.Hello("localhost"); err != nil {
		return err
	}
	if err := client.StartTLS(config); err != nil {
		return err
	}
	for i := 0; i < count; i++ {
		if err := sendOne(client, content); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
	}
	return client.Quit()
}

func sendOne(client *smtp.Client, content []byte) error {
	if err := client.Mail("bench@tether.test"); err != nil {
		return err
	}
	if err := client.Rcpt("sink@tether.test"); err != nil {
		return err
	}
	writer, err := client.Data()
	if err != nil {
		return err
	}
	if _, err := writer.Write(content); err != nil {
		return err
	}
	if err := writer.Close(); err != nil {
		return err
	}
	return client.Reset()
}
